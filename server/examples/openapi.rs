//! Prints the OpenAPI document, e.g. `cargo run -p stepwise --example openapi > openapi.json`.

fn main() {
    match stepwise::api::openapi().to_pretty_json() {
        Ok(json) => println!("{json}"),
        Err(e) => {
            eprintln!("cannot render the OpenAPI document: {e}");
            std::process::exit(1);
        }
    }
}
