package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"liaison"
	"liaison/orgs"
)

// defaultDirectory resolves organisation names with the shipped registry
// alone, for a store opened without Options.Directory.
func defaultDirectory() *liaison.Directory { return liaison.NewDirectory(nil).WithOrgs(orgs.Default()) }

// resolveStale resolves the bodies of s whose resolution is missing or no
// longer describes them (a statement redirected, edited or recorded by a
// path that did not resolve it), so that every stored statement carries
// its organisations. A resolution that matches the names is left alone:
// the workflow resolves with the whole directory, which knows more.
func (db *DB) resolveStale(s *liaison.Statement) {
	var dir *liaison.Directory
	for _, side := range []struct {
		names []string
		refs  *[]liaison.OrgRef
	}{{s.FromBodies, &s.FromOrgs}, {s.ToBodies, &s.ToOrgs}} {
		if refsAligned(side.names, *side.refs) {
			continue
		}
		if dir == nil {
			dir = db.directory()
		}
		*side.refs = dir.ResolveOrgs(side.names)
	}
}

func (db *DB) directory() *liaison.Directory {
	if db.dir != nil {
		if d := db.dir(); d != nil {
			return d
		}
	}
	return defaultDirectory()
}

// BodyName is one body name of a stored statement with the resolution
// recorded for it.
type BodyName struct {
	ID        liaison.ID
	Direction liaison.Direction
	State     liaison.State
	Ref       liaison.OrgRef // Ref.Name is the name as written
	Recorded  bool           // resolved when written (else before resolution existed)
}

// ForEachBodyName calls fn for every From and To body name of every
// statement, oldest statement first, from the summaries (no statement is
// decoded).
func (tx *Tx) ForEachBodyName(fn func(BodyName) error) error {
	var sum summary
	return tx.bucket(bucketSummaries).ForEach(func(k, v []byte) error {
		if err := decodeSummary(v, &sum); err != nil {
			return fmt.Errorf("summary of %s: %w", keyID(k), err)
		}
		if err := sum.decodeRefs(); err != nil {
			return fmt.Errorf("summary of %s: %w", keyID(k), err)
		}
		for _, r := range sum.refs {
			b := BodyName{
				ID: keyID(k), Direction: liaison.Direction(sum.direction), State: liaison.State(sum.state),
				Ref:      liaison.OrgRef{Name: string(r.name), Org: string(r.org), Body: string(r.body), Exact: r.flags&refExact != 0},
				Recorded: r.flags&refRecorded != 0,
			}
			if err := fn(b); err != nil {
				return err
			}
		}
		return nil
	})
}

// migrateOrgs resolves the organisations of every statement stored before
// the registry existed (with the shipped registry: names it does not know
// exactly are resolved again on the fly, and by `liaisond reprocess` with
// the configured one) and writes summaries and search texts with the
// statement date and the resolved names.
func migrateOrgs(tx *bolt.Tx, db *DB) error {
	t := &Tx{tx: tx, db: db}
	stmts := tx.Bucket(bucketStatements)
	var keys [][]byte
	if err := stmts.ForEach(func(k, _ []byte) error {
		keys = append(keys, clone(k))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		s, err := decodeStatement(keyID(k), stmts.Get(k))
		if err != nil {
			return err
		}
		if err := t.writeStatement(s); err != nil {
			return fmt.Errorf("statement %s: %w", s.ID, err)
		}
	}
	return nil
}
