package templates

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// Tidy runs `go mod tidy` in dir, a service Generate wrote, so that its
// go.mod and go.sum are exactly what tidy leaves: the requirements and
// checksums of the modules whose packages the service (with its tests)
// imports, directly or not, and nothing else. The go command's output goes
// to output (nil: discarded).
//
// Against a local checkout (Service.KitDir) tidy only drops what Generate
// copied from the checkout's go.mod and go.sum, so it runs offline on the
// module cache the kit's own build filled. Against a published KitVersion
// it downloads RocketKit and its dependencies and fills in go.sum.
//
// Tidy runs outside any go.work (GOWORK=off): the service is a module of
// its own. Cancelling ctx kills the go command. Safe for concurrent use on
// different directories.
func Tidy(ctx context.Context, dir string, output io.Writer) error {
	cmd := exec.CommandContext(ctx, "go", "mod", "tidy")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, output, output
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go mod tidy in %s: %w", dir, err)
	}
	return nil
}
