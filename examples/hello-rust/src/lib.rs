//! A minimal WebAssembly component written in Rust: the `hello` world of wit/world.wit.

wit_bindgen::generate!({
    path: "wit",
    world: "hello",
});

struct Component;

impl Guest for Component {
    fn greet(name: String) -> String {
        format!("Hello, {name}!")
    }
}

export!(Component);
