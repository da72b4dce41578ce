// Package assert is execeval's stand-in for github.com/stretchr/testify/assert: the part HumanEval-X's Go tests
// use (assert.New(t).Equal), with testify's equality (ObjectsAreEqual: bytes.Equal for []byte, else
// reflect.DeepEqual, so int and int64 differ as they do there). A failure marks the test failed and goes on.
package assert

import (
	"bytes"
	"fmt"
	"reflect"
)

// TestingT is what testify asks of a test: Errorf (testing.T has it).
type TestingT interface {
	Errorf(format string, args ...interface{})
}

type helper interface {
	Helper()
}

// Assertions holds the test the assertions report to.
type Assertions struct {
	t TestingT
}

// New binds assertions to a test.
func New(t TestingT) *Assertions {
	return &Assertions{t: t}
}

// ObjectsAreEqual is testify's equality.
func ObjectsAreEqual(expected, actual interface{}) bool {
	if expected == nil || actual == nil {
		return expected == actual
	}
	exp, ok := expected.([]byte)
	if !ok {
		return reflect.DeepEqual(expected, actual)
	}
	act, ok := actual.([]byte)
	if !ok {
		return false
	}
	if exp == nil || act == nil {
		return exp == nil && act == nil
	}
	return bytes.Equal(exp, act)
}

// Equal asserts that two objects are equal.
func Equal(t TestingT, expected, actual interface{}, msgAndArgs ...interface{}) bool {
	if h, ok := t.(helper); ok {
		h.Helper()
	}
	if reflect.TypeOf(expected) != nil && reflect.TypeOf(expected).Kind() == reflect.Func {
		t.Errorf("Invalid operation: %#v == %#v (cannot take func type as argument)", expected, actual)
		return false
	}
	if !ObjectsAreEqual(expected, actual) {
		t.Errorf("Not equal: \nexpected: %#v\nactual  : %#v%s", expected, actual, message(msgAndArgs))
		return false
	}
	return true
}

// Equal asserts that two objects are equal.
func (a *Assertions) Equal(expected, actual interface{}, msgAndArgs ...interface{}) bool {
	if h, ok := a.t.(helper); ok {
		h.Helper()
	}
	return Equal(a.t, expected, actual, msgAndArgs...)
}

func message(msgAndArgs []interface{}) string {
	if len(msgAndArgs) == 0 {
		return ""
	}
	if format, ok := msgAndArgs[0].(string); ok && len(msgAndArgs) > 1 {
		return "\nmessage : " + fmt.Sprintf(format, msgAndArgs[1:]...)
	}
	return "\nmessage : " + fmt.Sprint(msgAndArgs...)
}
