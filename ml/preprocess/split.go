package preprocess

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Fold is one train/test partition of row indexes.
type Fold struct {
	// Train are the rows to fit on, ascending.
	Train []int
	// Test are the rows to evaluate on, ascending.
	Test []int
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// TrainTestSplit shuffles the row indexes 0…n-1 with the seed and returns
// a test set of round(testFraction·n) rows and a training set of the rest,
// each in ascending order.
func TrainTestSplit(n int, testFraction float64, seed uint64) (train, test []int, err error) {
	if !(testFraction > 0 && testFraction < 1) {
		return nil, nil, fmt.Errorf("test fraction %v is not in (0, 1)", testFraction)
	}
	nTest := int(math.Round(testFraction * float64(n)))
	if nTest == 0 || nTest == n {
		return nil, nil, fmt.Errorf("test fraction %v of %d rows leaves an empty train or test set", testFraction, n)
	}
	perm := newRand(seed).Perm(n)
	test, train = perm[:nTest], perm[nTest:]
	slices.Sort(test)
	slices.Sort(train)
	return train, test, nil
}

// StratifiedSplit is TrainTestSplit keeping the class proportions of y in
// both sets: each class contributes round(testFraction·count) rows to the
// test set. Every class needs at least 2 rows.
func StratifiedSplit(y []int, testFraction float64, seed uint64) (train, test []int, err error) {
	if !(testFraction > 0 && testFraction < 1) {
		return nil, nil, fmt.Errorf("test fraction %v is not in (0, 1)", testFraction)
	}
	classes, byClass := groupByClass(y)
	r := newRand(seed)
	for k, rows := range byClass {
		if len(rows) < 2 {
			return nil, nil, fmt.Errorf("class %d has %d row; stratifying needs at least 2 per class", classes[k], len(rows))
		}
		r.Shuffle(len(rows), func(a, b int) { rows[a], rows[b] = rows[b], rows[a] })
		nTest := int(math.Round(testFraction * float64(len(rows))))
		nTest = max(1, min(nTest, len(rows)-1))
		test = append(test, rows[:nTest]...)
		train = append(train, rows[nTest:]...)
	}
	slices.Sort(test)
	slices.Sort(train)
	return train, test, nil
}

func groupByClass(y []int) ([]int, [][]int) {
	index := map[int]int{}
	var classes []int
	for _, v := range y {
		if _, ok := index[v]; !ok {
			index[v] = 0
			classes = append(classes, v)
		}
	}
	slices.Sort(classes)
	for k, c := range classes {
		index[c] = k
	}
	byClass := make([][]int, len(classes))
	for i, v := range y {
		byClass[index[v]] = append(byClass[index[v]], i)
	}
	return classes, byClass
}

// KFold splits the rows 0…n-1 into k folds of nearly equal size (the first
// n mod k folds have one more row), after shuffling with the seed when
// shuffle is true; each row is in exactly one test set.
func KFold(n, k int, shuffle bool, seed uint64) ([]Fold, error) {
	if k < 2 || k > n {
		return nil, fmt.Errorf("k-fold: k = %d must be between 2 and the number of rows, %d", k, n)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if shuffle {
		order = newRand(seed).Perm(n)
	}
	folds := make([]Fold, k)
	start := 0
	for f := 0; f < k; f++ {
		size := n / k
		if f < n%k {
			size++
		}
		folds[f].Test = append([]int(nil), order[start:start+size]...)
		start += size
	}
	return complete(folds, n), nil
}

// StratifiedKFold splits rows into k folds whose class proportions follow
// y's: each class's rows, shuffled with the seed, are dealt to the folds in
// turn. It fails when k exceeds the number of rows of every class.
func StratifiedKFold(y []int, k int, seed uint64) ([]Fold, error) {
	if k < 2 || k > len(y) {
		return nil, fmt.Errorf("k-fold: k = %d must be between 2 and the number of rows, %d", k, len(y))
	}
	classes, byClass := groupByClass(y)
	largest := 0
	for _, rows := range byClass {
		largest = max(largest, len(rows))
	}
	if k > largest {
		return nil, fmt.Errorf("k-fold: k = %d is more than the size of every class (largest %d of %d classes)", k, largest, len(classes))
	}
	r := newRand(seed)
	folds := make([]Fold, k)
	next := 0
	for _, rows := range byClass {
		r.Shuffle(len(rows), func(a, b int) { rows[a], rows[b] = rows[b], rows[a] })
		for _, i := range rows {
			folds[next].Test = append(folds[next].Test, i)
			next = (next + 1) % k
		}
	}
	return complete(folds, len(y)), nil
}

func complete(folds []Fold, n int) []Fold {
	for f := range folds {
		slices.Sort(folds[f].Test)
		in := make([]bool, n)
		for _, i := range folds[f].Test {
			in[i] = true
		}
		folds[f].Train = make([]int, 0, n-len(folds[f].Test))
		for i := 0; i < n; i++ {
			if !in[i] {
				folds[f].Train = append(folds[f].Train, i)
			}
		}
	}
	return folds
}
