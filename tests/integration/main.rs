//! One integration-test binary: every generated file checked by its real consumer.

mod common;
mod consumers;
mod doctor;
mod examples;
mod helm_chart;
mod hostile;
mod k8s;
mod plan;
mod properties;
mod provider_clis;
mod provider_scripts;
mod readers;
mod real_servers;
mod render_cli;
mod tools;
mod wizard;
