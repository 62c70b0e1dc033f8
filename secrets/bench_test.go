package secrets_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/weirhq/weir/secrets"
)

// BenchmarkMaskedLog measures a task log's path through the masker: 1 MiB of 100-byte
// lines with 20 secrets registered (run by the integrator on a quiet machine).
func BenchmarkMaskedLog(b *testing.B) {
	m := secrets.NewMasker()
	for i := range 20 {
		m.Add(fmt.Sprintf("secret-value-%02d-abcdef", i), "")
	}
	line := strings.Repeat("x", 60) + " secret-value-07-abcdef " + strings.Repeat("y", 15) + "\n"
	chunk := []byte(strings.Repeat(line, (1<<20)/len(line)))
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		w := m.Writer(io.Discard)
		for off := 0; off < len(chunk); off += 4096 {
			_, _ = w.Write(chunk[off:min(off+4096, len(chunk))])
		}
		_ = w.Close()
	}
}

// BenchmarkRedactNoSecret is the cost of masking when no secret is registered.
func BenchmarkRedactNoSecret(b *testing.B) {
	m := secrets.NewMasker()
	s := strings.Repeat("a log line without secrets\n", 40)
	for b.Loop() {
		_ = m.Redact(s)
	}
}
