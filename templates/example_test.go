package templates_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/rocketkit/rocketkit/templates"
)

// Generate a service that requires a published RocketKit version; `go mod
// tidy` in the new directory then completes go.sum.
func ExampleGenerate() {
	dir, err := os.MkdirTemp("", "rocketkit-new-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	files, err := templates.Generate(filepath.Join(dir, "billing"), templates.Service{
		Module:     "github.com/acme/billing",
		KitVersion: "v0.1.0",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range files {
		fmt.Println(f)
	}
	// Output:
	// .gitignore
	// README.md
	// config.yaml
	// go.mod
	// greeting.go
	// greeting_test.go
	// main.go
}
