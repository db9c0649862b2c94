// integration tests
mod wizard;
