//! One integration-test binary: every generated file checked by its real consumer.

mod cmd_cases;
mod common;
mod concurrency;
mod consumers;
mod doctor;
mod doctor_deployment;
mod examples;
mod fix_command;
mod git_status;
mod globals;
mod helm_chart;
mod hostile;
mod k8s;
mod output_links;
mod plan;
mod properties;
mod provider_clis;
mod provider_scripts;
mod readers;
mod real_servers;
mod render_cli;
mod scenario_table;
mod sizing;
mod tools;
mod wizard;
