package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Average selects how per-class precision, recall and F1 are combined.
type Average int

const (
	// Macro is the unweighted mean of the per-class scores.
	Macro Average = iota
	// Micro computes the score from the total true positives, false
	// positives and false negatives over all classes.
	Micro
	// Weighted is the mean of the per-class scores weighted by each class's
	// support (its number of true instances).
	Weighted
)

// String returns the scikit-learn name of the averaging mode.
func (a Average) String() string {
	switch a {
	case Macro:
		return "macro"
	case Micro:
		return "micro"
	case Weighted:
		return "weighted"
	}
	return fmt.Sprintf("Average(%d)", int(a))
}

func checkLabels[T comparable](yTrue, yPred []T) error {
	if len(yTrue) != len(yPred) {
		return fmt.Errorf("%w: y_true has %d values, y_pred has %d", ErrLength, len(yTrue), len(yPred))
	}
	if len(yTrue) == 0 {
		return ErrEmpty
	}
	return nil
}

// Labels returns the sorted distinct values found in any of the slices.
func Labels[T cmp.Ordered](ys ...[]T) []T {
	seen := map[T]struct{}{}
	var out []T
	for _, y := range ys {
		for _, v := range y {
			if _, ok := seen[v]; !ok {
				seen[v] = struct{}{}
				out = append(out, v)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Accuracy returns the fraction of positions where yPred equals yTrue.
func Accuracy[T comparable](yTrue, yPred []T) (float64, error) {
	if err := checkLabels(yTrue, yPred); err != nil {
		return 0, err
	}
	n := 0
	for i := range yTrue {
		if yTrue[i] == yPred[i] {
			n++
		}
	}
	return float64(n) / float64(len(yTrue)), nil
}

// ConfusionMatrix returns the matrix C where C[i][j] counts the samples whose
// true label is labels[i] and predicted label is labels[j]. A nil labels uses
// the sorted union of the labels in yTrue and yPred; the labels used are
// returned. Samples whose labels are not in labels are ignored.
func ConfusionMatrix[T cmp.Ordered](yTrue, yPred, labels []T) ([][]int, []T, error) {
	if err := checkLabels(yTrue, yPred); err != nil {
		return nil, nil, err
	}
	if labels == nil {
		labels = Labels(yTrue, yPred)
	}
	index := make(map[T]int, len(labels))
	for i, l := range labels {
		index[l] = i
	}
	cm := make([][]int, len(labels))
	for i := range cm {
		cm[i] = make([]int, len(labels))
	}
	for i := range yTrue {
		a, ok1 := index[yTrue[i]]
		b, ok2 := index[yPred[i]]
		if ok1 && ok2 {
			cm[a][b]++
		}
	}
	return cm, labels, nil
}

// ClassScores holds per-class precision, recall, F1 and support, in the
// order of Labels.
type ClassScores[T cmp.Ordered] struct {
	// Labels are the classes, sorted.
	Labels []T
	// Precision is TP/(TP+FP) per class, 0 when the class is never predicted.
	Precision []float64
	// Recall is TP/(TP+FN) per class, 0 when the class never occurs.
	Recall []float64
	// F1 is the harmonic mean of precision and recall per class, 0 when both
	// are 0.
	F1 []float64
	// Support is the number of true instances of each class.
	Support []int

	tp, fp, fn []int
}

// PerClass computes precision, recall, F1 and support for each label (the
// sorted union of yTrue and yPred when labels is nil). Undefined ratios are 0,
// as with scikit-learn's zero_division=0.
func PerClass[T cmp.Ordered](yTrue, yPred, labels []T) (*ClassScores[T], error) {
	cm, labels, err := ConfusionMatrix(yTrue, yPred, labels)
	if err != nil {
		return nil, err
	}
	k := len(labels)
	s := &ClassScores[T]{
		Labels: labels, Precision: make([]float64, k), Recall: make([]float64, k),
		F1: make([]float64, k), Support: make([]int, k),
		tp: make([]int, k), fp: make([]int, k), fn: make([]int, k),
	}
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			if i == j {
				s.tp[i] += cm[i][j]
			} else {
				s.fn[i] += cm[i][j]
				s.fp[j] += cm[i][j]
			}
		}
	}
	for i := 0; i < k; i++ {
		s.Support[i] = s.tp[i] + s.fn[i]
		s.Precision[i] = ratio(s.tp[i], s.tp[i]+s.fp[i])
		s.Recall[i] = ratio(s.tp[i], s.tp[i]+s.fn[i])
		s.F1[i] = f1(s.tp[i], s.fp[i], s.fn[i])
	}
	return s, nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// f1 is 2TP/(2TP+FP+FN), scikit-learn's formula since 1.1.
func f1(tp, fp, fn int) float64 {
	return ratio(2*tp, 2*tp+fp+fn)
}

func (s *ClassScores[T]) average(per []float64, avg Average, micro func(tp, fp, fn int) float64) float64 {
	switch avg {
	case Micro:
		var tp, fp, fn int
		for i := range s.tp {
			tp += s.tp[i]
			fp += s.fp[i]
			fn += s.fn[i]
		}
		return micro(tp, fp, fn)
	case Weighted:
		var sum float64
		var total int
		for i, v := range per {
			sum += v * float64(s.Support[i])
			total += s.Support[i]
		}
		if total == 0 {
			return 0
		}
		return sum / float64(total)
	default:
		var sum float64
		for _, v := range per {
			sum += v
		}
		return sum / float64(len(per))
	}
}

// Precision returns the precision averaged over the classes with avg.
func Precision[T cmp.Ordered](yTrue, yPred []T, avg Average) (float64, error) {
	s, err := PerClass(yTrue, yPred, nil)
	if err != nil {
		return 0, err
	}
	return s.average(s.Precision, avg, func(tp, fp, _ int) float64 { return ratio(tp, tp+fp) }), nil
}

// Recall returns the recall averaged over the classes with avg.
func Recall[T cmp.Ordered](yTrue, yPred []T, avg Average) (float64, error) {
	s, err := PerClass(yTrue, yPred, nil)
	if err != nil {
		return 0, err
	}
	return s.average(s.Recall, avg, func(tp, _, fn int) float64 { return ratio(tp, tp+fn) }), nil
}

// F1 returns the F1 score averaged over the classes with avg.
func F1[T cmp.Ordered](yTrue, yPred []T, avg Average) (float64, error) {
	s, err := PerClass(yTrue, yPred, nil)
	if err != nil {
		return 0, err
	}
	return s.average(s.F1, avg, f1), nil
}

// BinaryScores returns precision, recall and F1 of the positive class pos,
// scikit-learn's average="binary".
func BinaryScores[T cmp.Ordered](yTrue, yPred []T, pos T) (precision, recall, f float64, err error) {
	if err := checkLabels(yTrue, yPred); err != nil {
		return 0, 0, 0, err
	}
	var tp, fp, fn int
	for i := range yTrue {
		switch {
		case yTrue[i] == pos && yPred[i] == pos:
			tp++
		case yPred[i] == pos:
			fp++
		case yTrue[i] == pos:
			fn++
		}
	}
	return ratio(tp, tp+fp), ratio(tp, tp+fn), f1(tp, fp, fn), nil
}

// ROCAUC returns the area under the ROC curve of a binary problem. The
// positive class is the greater of the two labels in yTrue (1 for 0/1
// labels); score is the score of the positive class, higher meaning more
// likely positive. Ties count one half. yTrue must hold exactly two labels.
func ROCAUC[T cmp.Ordered](yTrue []T, score []float64) (float64, error) {
	if len(yTrue) != len(score) {
		return 0, fmt.Errorf("%w: y_true has %d values, y_score has %d", ErrLength, len(yTrue), len(score))
	}
	labels := Labels(yTrue)
	if len(labels) != 2 {
		return 0, fmt.Errorf("metrics: ROC AUC needs exactly 2 classes in y_true, found %d", len(labels))
	}
	pos := make([]bool, len(yTrue))
	for i, v := range yTrue {
		pos[i] = v == labels[1]
	}
	return aucBinary(pos, score)
}

func aucBinary(pos []bool, score []float64) (float64, error) {
	n := len(score)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
		if math.IsNaN(score[i]) || math.IsInf(score[i], 0) {
			return 0, fmt.Errorf("%w: y_score[%d] = %v", ErrNotFinite, i, score[i])
		}
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(score[a], score[b]) })
	// Mann-Whitney U with average ranks for ties.
	var rankSum float64
	var nPos int
	for i := 0; i < n; {
		j := i
		for j < n && score[idx[j]] == score[idx[i]] {
			j++
		}
		avgRank := float64(i+j+1) / 2 // ranks i+1..j
		for k := i; k < j; k++ {
			if pos[idx[k]] {
				rankSum += avgRank
				nPos++
			}
		}
		i = j
	}
	nNeg := n - nPos
	if nPos == 0 || nNeg == 0 {
		return 0, fmt.Errorf("metrics: ROC AUC is undefined when y_true holds only one class (%d positive, %d negative rows)", nPos, nNeg)
	}
	u := rankSum - float64(nPos)*float64(nPos+1)/2
	return u / (float64(nPos) * float64(nNeg)), nil
}

// ROCAUCOvR returns the macro average over classes of the one-vs-rest ROC
// AUC, scikit-learn's roc_auc_score(multi_class="ovr", average="macro").
// proba has one row per sample and one column per entry of labels (sorted
// ascending, as a classifier's Classes are).
func ROCAUCOvR[T cmp.Ordered](yTrue []T, proba [][]float64, labels []T) (float64, error) {
	if len(yTrue) != len(proba) {
		return 0, fmt.Errorf("%w: y_true has %d values, y_score has %d rows", ErrLength, len(yTrue), len(proba))
	}
	var sum float64
	for c, l := range labels {
		pos := make([]bool, len(yTrue))
		score := make([]float64, len(yTrue))
		for i := range yTrue {
			if len(proba[i]) != len(labels) {
				return 0, fmt.Errorf("%w: row %d of y_score has %d columns, want %d", ErrLength, i, len(proba[i]), len(labels))
			}
			pos[i] = yTrue[i] == l
			score[i] = proba[i][c]
		}
		a, err := aucBinary(pos, score)
		if err != nil {
			return 0, fmt.Errorf("metrics: class %v: %w", l, err)
		}
		sum += a
	}
	return sum / float64(len(labels)), nil
}

// ROCAUCProba returns the ROC AUC of a classifier's PredictProba output:
// proba has one row per sample and one column per entry of classes, the
// classifier's sorted Classes. With two classes it is the binary ROC AUC
// of the second column (the greater class is positive, as in
// scikit-learn's roc_auc_score(y, proba[:, 1])); with more it is the
// macro one-vs-rest average (roc_auc_score(y, proba, multi_class="ovr")).
// Every label of yTrue must be one of classes.
func ROCAUCProba[T cmp.Ordered](yTrue []T, proba [][]float64, classes []T) (float64, error) {
	if len(yTrue) != len(proba) {
		return 0, fmt.Errorf("%w: y_true has %d values, proba has %d rows", ErrLength, len(yTrue), len(proba))
	}
	if len(classes) < 2 {
		return 0, fmt.Errorf("metrics: ROC AUC needs at least 2 classes, got %d", len(classes))
	}
	known := make(map[T]bool, len(classes))
	for _, c := range classes {
		known[c] = true
	}
	for i, v := range yTrue {
		if !known[v] {
			return 0, fmt.Errorf("metrics: y_true[%d] = %v is not one of the classes %v", i, v, classes)
		}
	}
	if len(classes) > 2 {
		return ROCAUCOvR(yTrue, proba, classes)
	}
	pos := make([]bool, len(yTrue))
	score := make([]float64, len(yTrue))
	for i, row := range proba {
		if len(row) != 2 {
			return 0, fmt.Errorf("%w: row %d of proba has %d columns, want 2", ErrLength, i, len(row))
		}
		pos[i], score[i] = yTrue[i] == classes[1], row[1]
	}
	return aucBinary(pos, score)
}

// LogLoss returns the mean negative log-likelihood of the true labels under
// proba (cross-entropy). proba has one row per sample and one column per
// entry of labels (nil means the sorted labels of yTrue, which must then
// hold at least two; pass the classifier's classes when a test set may
// hold one). As scikit-learn
// does, probabilities are clipped to [eps, 1-eps] with eps the float64
// machine epsilon and each row is renormalised to sum to 1.
func LogLoss[T cmp.Ordered](yTrue []T, proba [][]float64, labels []T) (float64, error) {
	if len(yTrue) != len(proba) {
		return 0, fmt.Errorf("%w: y_true has %d values, y_pred has %d rows", ErrLength, len(yTrue), len(proba))
	}
	if len(yTrue) == 0 {
		return 0, ErrEmpty
	}
	if labels == nil {
		labels = Labels(yTrue)
		if len(labels) < 2 {
			return 0, fmt.Errorf("metrics: log loss: y_true holds only one label (%v); pass the classifier's classes as labels (for example model.Classes) so the loss is defined", labels[0])
		}
	}
	if len(labels) < 2 {
		return 0, fmt.Errorf("metrics: log loss: labels has %d entries; it needs at least two classes", len(labels))
	}
	index := make(map[T]int, len(labels))
	for i, l := range labels {
		index[l] = i
	}
	const eps = 2.220446049250313e-16
	var loss float64
	for i, row := range proba {
		if len(row) != len(labels) {
			return 0, fmt.Errorf("%w: row %d of y_pred has %d columns, want %d", ErrLength, i, len(row), len(labels))
		}
		c, ok := index[yTrue[i]]
		if !ok {
			return 0, fmt.Errorf("metrics: y_true[%d] = %v is not one of the labels %v", i, yTrue[i], labels)
		}
		var sum float64
		for j, p := range row {
			if math.IsNaN(p) || math.IsInf(p, 0) {
				return 0, fmt.Errorf("%w: y_pred[%d][%d] = %v", ErrNotFinite, i, j, p)
			}
			sum += min(max(p, eps), 1-eps)
		}
		p := min(max(row[c], eps), 1-eps) / sum
		loss -= math.Log(p)
	}
	return loss / float64(len(yTrue)), nil
}
