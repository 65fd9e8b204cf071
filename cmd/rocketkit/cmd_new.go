package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"runtime/debug"
	"strings"

	"github.com/rocketkit/rocketkit/templates"
)

// runNew writes a new service (package templates) for a module path.
func runNew(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("new", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "directory to write the service into (default: the module path's last element, in the current directory)")
	name := fs.String("name", "", "service name, used in rocketmq.service-name and derived group names (default: from the module path)")
	kitDir := fs.String("kit-dir", "", "a local RocketKit checkout to build against (go.mod gets a replace directive); default for development builds of rocketkit: the checkout around the current directory")
	kitVersion := fs.String("kit-version", "", "the RocketKit version to require (default: this rocketkit's own version)")
	tidy := fs.Bool("tidy", true, "run `go mod tidy` in the new service, so go.mod and go.sum hold only what it needs (offline with -kit-dir; a published -kit-version is downloaded)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: rocketkit new [flags] <module path>\n\n"+
			"Writes a RocketKit service (an fx app with a listener and the producer template) that\n"+
			"builds, runs on the embedded broker and passes its own test straight away.\n\n"+
			"Example: rocketkit new github.com/acme/billing\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "rocketkit new: want exactly one module path, e.g. rocketkit new github.com/acme/billing")
		return exitUsage
	}
	svc := templates.Service{Module: fs.Arg(0), Name: *name, KitDir: *kitDir, KitVersion: *kitVersion}
	if svc.KitDir == "" && svc.KitVersion == "" {
		wd, _ := os.Getwd()
		if v := ownVersion(); v != "" {
			svc.KitVersion = v
		} else if dir := templates.FindCheckout(wd); wd != "" && dir != "" {
			svc.KitDir = dir
		} else {
			fmt.Fprintln(stderr, "rocketkit new: this rocketkit is a development build and no RocketKit checkout was found around the current directory; pass -kit-version v0.x.y or -kit-dir <checkout>")
			return exitUsage
		}
	}
	dir := *out
	if dir == "" {
		dir = path.Base(svc.Module)
	}
	files, err := templates.Generate(dir, svc)
	if err != nil {
		fmt.Fprintln(stderr, "rocketkit new:", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "wrote %s (%s):\n", svc.Module, dir)
	for _, f := range files {
		fmt.Fprintf(stdout, "\t%s\n", f)
	}
	if *tidy {
		fmt.Fprintln(stdout, "running go mod tidy")
		if err := templates.Tidy(ctx, dir, stderr); err != nil {
			fmt.Fprintf(stderr, "rocketkit new: %v (the files are written; run it again there)\n", err)
			return exitFailure
		}
	}
	fmt.Fprintf(stdout, "\nnext:\n\tcd %s\n\tgo run .        # the service, on the embedded broker\n\tgo test ./...   # its test\n", dir)
	return exitOK
}

// ownVersion returns the RocketKit version this binary was built from, or
// "" for a development build.
func ownVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Path != templates.KitModule || !strings.HasPrefix(info.Main.Version, "v") {
		return ""
	}
	return info.Main.Version
}
