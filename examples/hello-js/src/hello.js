// Implementation of the `greet` export of the `hello` world (wit/world.wit).
export function greet(name) {
  return `Hello, ${name}!`;
}
