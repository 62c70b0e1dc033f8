package sqlite

import (
	"database/sql"
	"errors"

	"github.com/weirhq/weir/store"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// interpretError translates a driver error into the domain error it stands for: a missing
// row or a foreign key with no parent is store.ErrNotFound, a duplicate key is
// store.ErrAlreadyExists. Any other error is returned unchanged. Callers wrap the result
// with the key they were working on.
func interpretError(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return store.ErrAlreadyExists
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return store.ErrNotFound
		}
	}
	return err
}
