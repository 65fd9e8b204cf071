package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// README.md's "The experiments" lists every experiment the program replays
// (scenario ids), and no other: the docs cite S-numbers and point there.
func TestExperimentsListed(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## The experiments\n")
	if !ok {
		t.Fatal(`README.md has no "## The experiments" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var listed []string
	for _, m := range regexp.MustCompile(`(?m)^- \*\*(S[0-9]+)\*\* `).FindAllStringSubmatch(section, -1) {
		if slices.Contains(listed, m[1]) {
			t.Errorf("README.md lists %s twice", m[1])
		}
		listed = append(listed, m[1])
	}
	var replayed []string
	for _, s := range scenarios {
		replayed = append(replayed, strings.Fields(s.id)...)
	}
	for _, id := range replayed {
		if !slices.Contains(listed, id) {
			t.Errorf("the program replays %s; README.md's experiments do not list it", id)
		}
	}
	for _, id := range listed {
		if !slices.Contains(replayed, id) {
			t.Errorf("README.md lists %s; the program has no scenario for it", id)
		}
	}
	if len(listed) == 0 {
		t.Error("README.md's experiments list nothing")
	}
}
