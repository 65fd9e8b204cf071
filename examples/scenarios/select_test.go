package main

import (
	"strings"
	"testing"
)

func TestSelectScenarios(t *testing.T) {
	all, err := selectScenarios("")
	if err != nil || len(all) != len(scenarios) {
		t.Fatalf("no -only: %d scenarios, %v", len(all), err)
	}
	some, err := selectScenarios("s12, S5,S17")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range some {
		ids = append(ids, s.id)
	}
	if strings.Join(ids, "|") != "S12|S2 S5 S8|S17" {
		t.Errorf("-only s12, S5,S17 selected %q", ids)
	}
	if _, err := selectScenarios("S1,S99"); err == nil || !strings.Contains(err.Error(), `no scenario "S99"`) {
		t.Errorf("-only S99: %v", err)
	}
}
