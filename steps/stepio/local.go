package stepio

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"strings"
)

func readLocal(p string) ([]byte, error) { return os.ReadFile(p) }

// hashFile returns "sha256:<hex>" of a local file (a path or a file:// URL).
func hashFile(loc string) (string, error) {
	f, err := os.Open(strings.TrimPrefix(loc, "file://"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
