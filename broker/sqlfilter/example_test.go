package sqlfilter_test

import (
	"fmt"

	"github.com/rocketkit/rocketkit/broker/sqlfilter"
)

func Example() {
	sel, err := sqlfilter.Parse("amount >= 10 AND amount < 15 AND TAGS IN ('paid', 'shipped')")
	if err != nil {
		panic(err)
	}
	for _, msg := range []map[string]string{
		{"amount": "12", "TAGS": "paid"},
		{"amount": "20", "TAGS": "paid"},
		{"TAGS": "paid"},                   // no amount: NULL, not matched
		{"amount": "lots", "TAGS": "paid"}, // not an int: evaluation fails
	} {
		ok, err := sel.Matches(func(name string) (string, bool) {
			v, ok := msg[name]
			return v, ok
		})
		fmt.Println(ok, err)
	}
	_, err = sqlfilter.Parse("amount >= 10 AND")
	fmt.Println(err)
	// Output:
	// true <nil>
	// false <nil>
	// false <nil>
	// false sqlfilter: evaluation failed: 'lots' is not an int
	// sqlfilter: invalid selector at line 1, column 17: unexpected end of expression, expecting a property name, a literal, "(", NOT, "+" or "-"
}
