package sqlite

import (
	"context"
	"errors"
	"fmt"

	"github.com/weirhq/weir/store"
)

// ReplaceImportErrors implements store.Store, in one transaction. Files must not be empty.
// An error whose At is zero is recorded with the store's current time (Config.Now). Files not
// named keep their import errors.
func (s *Store) ReplaceImportErrors(ctx context.Context, errs []*store.ImportError) error {
	if len(errs) == 0 {
		return nil
	}
	for _, e := range errs {
		if e == nil {
			return errors.New("sqlite: nil import error")
		}
		if e.File == "" {
			return errors.New("sqlite: import error: file must not be empty")
		}
	}
	upsertSt, err := s.lazy(ctx, &s.upsertImportError, s.w, "UpsertImportError")
	if err != nil {
		return err
	}
	delSt, err := s.lazy(ctx, &s.deleteImportError, s.w, "DeleteImportError")
	if err != nil {
		return err
	}
	now := s.now()
	return s.writeTx(ctx, func(w *writer) error {
		upsert, del := w.stmt(upsertSt), w.stmt(delSt)
		for _, e := range errs {
			var err error
			if e.Message == "" {
				err = w.exec(del, e.File)
			} else {
				at := e.At
				if at.IsZero() {
					at = now
				}
				err = w.exec(upsert, e.File, e.Message, timeArg(at))
			}
			if err != nil {
				return fmt.Errorf("import error of %s: %w", e.File, interpretError(err))
			}
		}
		return nil
	})
}

// ListImportErrors implements store.Store.
func (s *Store) ListImportErrors(ctx context.Context) ([]*store.ImportError, error) {
	st, err := s.lazy(ctx, &s.listImportErrors, s.r, "ListImportErrors")
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("list import errors: %w", interpretError(err))
	}
	defer rows.Close()
	var out []*store.ImportError
	for rows.Next() {
		e := new(store.ImportError)
		if err := rows.Scan(&e.File, &e.Message, timeCol{&e.At}); err != nil {
			return nil, fmt.Errorf("list import errors: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list import errors: %w", interpretError(err))
	}
	return out, nil
}
