// integration tests

mod plan;
