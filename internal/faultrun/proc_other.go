//go:build !linux

package main

import "os/exec"

// dieWithParent does nothing here: relays exit when their stdin closes,
// the broker and mariadbd are killed by the run's cleanup.
func dieWithParent(*exec.Cmd) {}
