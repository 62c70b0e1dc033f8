package sqlite

import (
	"context"
	"errors"
	"time"

	"github.com/weirhq/weir/store"
)

// errTODO marks methods of the interface not implemented yet (being written).
var errTODO = errors.New("sqlite: not implemented yet")

// UpsertDAG implements store.Store.
func (s *Store) UpsertDAG(ctx context.Context, m *store.DAGMeta) error { return errTODO }

// GetDAG implements store.Store.
func (s *Store) GetDAG(ctx context.Context, dagID string) (*store.DAGMeta, error) {
	return nil, errTODO
}

// ListDAGs implements store.Store.
func (s *Store) ListDAGs(ctx context.Context) ([]*store.DAGMeta, error) { return nil, errTODO }

// SetPaused implements store.Store.
func (s *Store) SetPaused(ctx context.Context, dagID string, paused bool) error { return errTODO }

// SetLastScheduled implements store.Store.
func (s *Store) SetLastScheduled(ctx context.Context, dagID string, start, end time.Time, run *store.DAGRun, tis []*store.TaskInstance) error {
	return errTODO
}

// ReplaceImportErrors implements store.Store.
func (s *Store) ReplaceImportErrors(ctx context.Context, errs []*store.ImportError) error {
	return errTODO
}

// ListImportErrors implements store.Store.
func (s *Store) ListImportErrors(ctx context.Context) ([]*store.ImportError, error) {
	return nil, errTODO
}

// AddDatasetEvent implements store.Store.
func (s *Store) AddDatasetEvent(ctx context.Context, ev *store.DatasetEvent) error { return errTODO }

// ListDatasets implements store.Store.
func (s *Store) ListDatasets(ctx context.Context) ([]*store.Dataset, error) { return nil, errTODO }

// ListDatasetEvents implements store.Store.
func (s *Store) ListDatasetEvents(ctx context.Context, p store.ListEventsParams) ([]*store.DatasetEvent, error) {
	return nil, errTODO
}

// ListQueuedEvents implements store.Store.
func (s *Store) ListQueuedEvents(ctx context.Context, dagID string) ([]*store.QueuedEvent, error) {
	return nil, errTODO
}

// TriggerFromQueue implements store.Store.
func (s *Store) TriggerFromQueue(ctx context.Context, run *store.DAGRun, tis []*store.TaskInstance, eventIDs []int64) error {
	return errTODO
}
