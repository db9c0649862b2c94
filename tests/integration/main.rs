//! One integration-test binary: every generated file checked by its real consumer.

mod common;
mod concurrency;
mod consumers;
mod doctor;
mod examples;
mod git_status;
mod output_links;
mod plan;
mod properties;
mod provider_scripts;
mod render_cli;
mod wizard;
