// A minimal WebAssembly component written in Go and compiled with TinyGo's wasip2 target.
// main is the component's wasi:cli/run export: it prints a greeting to stdout.
package main

import (
	"fmt"
	"os"
)

func main() {
	name := "world"
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	fmt.Printf("Hello, %s!\n", name)
}
