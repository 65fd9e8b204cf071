package archtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// heavyModules are module path prefixes that must not reach a service
// importing the kit: build tools (go-task, staticcheck) live in the tools
// module, testcontainers-go in outbox/outboxtest/mysqlcontainer's own
// module, and none of their cloud SDKs may follow.
var heavyModules = []string{
	"github.com/go-task/task", // slim-sprig, a template library of the same owner, comes with ginkgo
	"honnef.co/go/tools",
	"github.com/testcontainers/",
	"github.com/docker/",
	"cloud.google.com/",
	"github.com/aws/",
	"google.golang.org/grpc",
	"go.opentelemetry.io/",
}

// A throw-away service importing the kit's main packages (starter,
// outbox, txcheck, starter/watermill) gets none of heavyModules in its
// module graph, and the kit's go line asks for no patch release.
func TestImporterModuleGraph(t *testing.T) {
	root := moduleRoot(t)
	kitMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)(?:\.(\d+))?$`).FindSubmatch(kitMod)
	if goLine == nil {
		t.Fatal("the kit's go.mod has no go line")
	}
	if patch := string(goLine[3]); patch != "" && patch != "0" {
		t.Errorf("the kit's go line %q pins a patch release: every importer would need that toolchain", goLine[0])
	}

	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/importer\n\n"+string(goLine[0])+"\n\n"+
		"require github.com/rocketkit/rocketkit v0.0.0\n\n"+
		"replace github.com/rocketkit/rocketkit => "+root+"\n")
	write("main.go", `package main

import (
	_ "github.com/rocketkit/rocketkit/outbox"
	_ "github.com/rocketkit/rocketkit/starter"
	_ "github.com/rocketkit/rocketkit/starter/watermill"
	_ "github.com/rocketkit/rocketkit/txcheck"
)

func main() {}
`)
	run := func(args ...string) []byte {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return out
	}
	run("mod", "tidy")
	modules := strings.Split(strings.TrimSpace(string(run("list", "-m", "all"))), "\n")
	for _, m := range modules {
		for _, heavy := range heavyModules {
			if strings.HasPrefix(m, heavy) {
				t.Errorf("the importer's module graph holds %s", m)
			}
		}
	}
	t.Logf("an importer of starter, outbox, txcheck and starter/watermill lists %d modules", len(modules))
}
