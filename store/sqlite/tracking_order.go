package sqlite

import (
	"slices"
	"strconv"

	"github.com/weirhq/weir/tracking"
)

// sortByOrders sorts items stably by the parsed order_by clauses, comparing
// one key with compareKey (0 for a key it does not know), then by tiebreak
// where every clause leaves two items equal.
func sortByOrders[T any](items []T, orders []tracking.OrderBy, compareKey func(key string, a, b *T) int, tiebreak func(a, b *T) int) {
	slices.SortStableFunc(items, func(a, b T) int {
		for _, o := range orders {
			c := compareKey(o.Key, &a, &b)
			if o.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return tiebreak(&a, &b)
	})
}

// idNumber orders numeric ids ("10" after "9"); a malformed id counts as 0.
func idNumber(id string) int64 {
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}
