package official

import (
	"reflect"
	"unsafe"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// setProperties gives m the properties p (system ones included), so that
// m.Property, Properties and UserProperties answer from them.
//
// STOPGAP: client.MessageExt keeps its properties in an unexported field
// that only package client can fill. Until package client exports
//
//	func (m *MessageExt) SetProperties(p map[string]string)
//
// (m.props = message.FormatProperties(p)), this writes that field through
// reflection; TestSetProperties fails the moment the field changes, and
// replacing the body below with m.SetProperties(p) removes the file's
// reason to exist.
func setProperties(m *client.MessageExt, p map[string]string) {
	if propsIndex != nil {
		f := reflect.ValueOf(m).Elem().FieldByIndex(propsIndex)
		*(*string)(unsafe.Pointer(f.UnsafeAddr())) = message.FormatProperties(p)
	}
}

// propsIndex locates client.MessageExt's raw property string; nil when it
// has none.
var propsIndex = func() []int {
	f, ok := reflect.TypeFor[client.MessageExt]().FieldByName("props")
	if !ok || f.Type.Kind() != reflect.String {
		return nil
	}
	return f.Index
}()
