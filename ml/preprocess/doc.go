// Package preprocess holds the data transforms fitted on training data and
// applied unchanged at prediction time: scaling (StandardScaler,
// MinMaxScaler, RobustScaler), encoding (OneHotEncoder, OrdinalEncoder,
// LabelEncoder), imputation (Imputer) and column selection (Select), chained
// by a Pipeline; and the index splits used to evaluate models
// (TrainTestSplit, KFold, StratifiedKFold).
//
// # Model
//
// A Transformer is fitted once on a frame.Frame and then transforms frames
// with the same columns; its fitted state lives in exported fields, so a
// fitted Pipeline marshals to JSON (each step tagged with its Kind) and
// unmarshals into a transform that gives bit-for-bit the same output. The
// definitions follow scikit-learn's: population standard deviation,
// NumPy's linear-interpolation percentiles, sorted categories, and a scale
// of 1 for a constant column.
//
// # Errors
//
// Fitting and transforming never panic: a missing column is reported with
// frame.ErrNoColumn, a non-numeric column given to a scaler, an unknown
// category with HandleUnknown "error", and transforming before fitting are
// errors naming the column.
package preprocess
