//! One integration-test binary: every generated file checked by its real consumer.

mod acl_users;
mod cmd_cases;
mod common;
mod consumers;
mod consumers_every_source;
mod doctor;
mod examples;
mod examples_consumers;
mod fix_command;
mod globals;
mod helm_chart;
mod hostile;
mod k8s;
mod plan;
mod private_temps;
mod properties;
mod provider_clis;
mod provider_scripts;
mod readers;
mod real_servers;
mod render_cli;
mod rule_boundaries;
mod scenario_table;
mod sentinel_client;
mod tools;
mod wizard;
