use std::process::ExitCode;

fn main() -> ExitCode {
    chatwoot_redis::app::main()
}
