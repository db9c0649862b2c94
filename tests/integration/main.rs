// integration tests
mod doctor;
