package ml

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// ClassWeight weights the rows of each class in a classifier's loss,
// scikit-learn's class_weight. The zero value weights every class 1.
// It reads and writes JSON as scikit-learn spells it: "balanced", or an
// object from class label to weight such as {"0": 1, "1": 5}.
type ClassWeight struct {
	// Balanced weights class c by n / (k · count(c)), n rows and k
	// classes, so that every class carries the same total weight
	// (scikit-learn's class_weight="balanced"). It overrides Weights.
	Balanced bool
	// Weights gives the weight of each listed class label; classes not
	// listed weigh 1. Weights must be finite and ≥ 0.
	Weights map[int]float64
}

// Balanced returns a new ClassWeight{Balanced: true}, scikit-learn's
// class_weight="balanced".
func Balanced() *ClassWeight { return &ClassWeight{Balanced: true} }

// PerClass returns the weight of each class, in the order of classes (the
// sorted labels), for the class indexes yi (0…len(classes)-1) of the
// training rows.
func (c *ClassWeight) PerClass(classes []int, yi []int) ([]float64, error) {
	out := make([]float64, len(classes))
	for k := range out {
		out[k] = 1
	}
	if c == nil {
		return out, nil
	}
	if c.Balanced {
		count := make([]float64, len(classes))
		for _, v := range yi {
			count[v]++
		}
		for k := range out {
			out[k] = float64(len(yi)) / (float64(len(classes)) * count[k])
		}
		return out, nil
	}
	for label, w := range c.Weights {
		k, ok := slices.BinarySearch(classes, label)
		if !ok {
			return nil, fmt.Errorf("class weight: label %d is not a class of y %v", label, classes)
		}
		if !(w >= 0) || w > 1e300 {
			return nil, &ParamError{Estimator: "ClassWeight", Field: "Weights[" + strconv.Itoa(label) + "]", Value: w, Rule: "a finite number ≥ 0"}
		}
		out[k] = w
	}
	return out, nil
}

// MarshalJSON writes "balanced" or an object of label → weight.
func (c ClassWeight) MarshalJSON() ([]byte, error) {
	if c.Balanced {
		return []byte(`"balanced"`), nil
	}
	m := make(map[string]float64, len(c.Weights))
	for k, v := range c.Weights {
		m[strconv.Itoa(k)] = v
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads "balanced" or an object of label → weight.
func (c *ClassWeight) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s != "balanced" {
			return fmt.Errorf("class_weight %q: want \"balanced\" or an object of class label to weight", s)
		}
		*c = ClassWeight{Balanced: true}
		return nil
	}
	var m map[string]float64
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("class_weight: want \"balanced\" or an object of class label to weight: %w", err)
	}
	c.Balanced, c.Weights = false, make(map[int]float64, len(m))
	for k, v := range m {
		label, err := strconv.Atoi(k)
		if err != nil {
			return fmt.Errorf("class_weight: key %q is not an integer class label", k)
		}
		c.Weights[label] = v
	}
	return nil
}
