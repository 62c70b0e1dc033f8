package preprocess_test

import (
	"strings"
	"testing"

	"github.com/weirhq/weir/ml/frame"
	"github.com/weirhq/weir/ml/preprocess"
)

func TestOrdinalEncoderRefusesUnknownHandling(t *testing.T) {
	t.Parallel()
	f, _ := frame.New(frame.NewString("c", []string{"a", "b"}, nil))
	err := (&preprocess.OrdinalEncoder{HandleUnknown: "ignore"}).Fit(f)
	if err == nil || !strings.Contains(err.Error(), `handle_unknown "ignore" is not use_encoded_value or error`) {
		t.Errorf("HandleUnknown ignore: %v", err)
	}
}
