package dag

import (
	"strings"
	"testing"
	"time"
)

// TestLiteralBraces: a literal "{{" (a Python f-string in script:) is written as Jinja
// writes it, which Airflow's templates follow: {% raw %}…{% endraw %} around literal text,
// or the expression {{ "{{" }}. Both validate and render to the literal text.
func TestLiteralBraces(t *testing.T) {
	t.Parallel()
	d, err := load(t, `
tasks:
  - id: py
    shell: [python3, -c]
    script: |
      x = 1
      print(f"{% raw %}{{x}}{% endraw %} {{ ds }}")
      print(f"{{ "{{" }}x}}")
      print("{%- raw -%}{{ not a template }}{%- endraw -%}")
`)
	if err != nil {
		t.Fatal(err)
	}
	ctx := &TemplateContext{LogicalDate: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), MapIndex: -1}
	got, err := RenderString(taskByID(t, d, "py").Command.Script, ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := "x = 1\nprint(f\"{{x}} 2026-01-31\")\nprint(f\"{{x}}\")\nprint(\"{{ not a template }}\")\n"
	if got != want {
		t.Errorf("rendered\n%s\nwant\n%s", got, want)
	}
	_, err = load(t, "tasks: [{id: a, script: 'echo {% raw %}{{x}}'}]\n")
	if err == nil || !strings.Contains(err.Error(), `unclosed "{% raw %}": end the literal text with "{% endraw %}"`) {
		t.Errorf("err = %v", err)
	}
	_, err = load(t, "tasks: [{id: a, script: 'echo f\"{{x}}\"'}]\n")
	if err == nil || !strings.Contains(err.Error(), `unknown variable "x"`) || !strings.Contains(err.Error(), "{% raw %}") {
		t.Errorf("an unknown variable hints at {%% raw %%}: %v", err)
	}
}
