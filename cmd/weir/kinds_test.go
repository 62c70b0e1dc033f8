package main_test

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestKindsListsKindsAndFields(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	r := weir(t, home, nil, "kinds", "--output", "json")
	if r.code != 0 {
		t.Fatalf("weir kinds: exit %d: %s", r.code, r.stderr)
	}
	var infos []struct {
		Name   string `json:"name"`
		Fields []struct {
			Name     string `json:"name"`
			Type     string `json:"type"`
			Required bool   `json:"required"`
			Template bool   `json:"template"`
			Doc      string `json:"doc"`
		} `json:"fields"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &infos); err != nil {
		t.Fatalf("%v in %s", err, r.stdout)
	}
	fields := map[string]map[string]bool{}
	for _, k := range infos {
		fields[k.Name] = map[string]bool{}
		for _, f := range k.Fields {
			if f.Type == "" || f.Doc == "" {
				t.Errorf("%s.%s has no type or doc", k.Name, f.Name)
			}
			fields[k.Name][f.Name] = f.Template
		}
	}
	if len(infos) < 14 || !fields["quality.check"]["data"] || !fields["features.transform"]["pipeline"] || !fields["model.train"]["data"] || !fields["model.predict"]["model"] || !fields["command"]["script"] || !fields["sensor"]["path"] || fields["sensor"]["condition"] || !fields["go"]["args"] {
		t.Errorf("kinds = %s", r.stdout)
	}

	r = weir(t, home, nil, "kinds", "sensor")
	if r.code != 0 || !strings.Contains(r.stdout, "poke_interval") || strings.Contains(r.stdout, "skip_exit_codes") {
		t.Errorf("weir kinds sensor: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = weir(t, home, nil, "kinds", "sensr")
	if r.code == 0 || !strings.Contains(r.stderr, `unknown kind "sensr" (did you mean "sensor"?)`) {
		t.Errorf("weir kinds sensr: exit %d\n%s", r.code, r.stderr)
	}
}
