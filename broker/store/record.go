package store

import (
	"encoding/binary"
	"strings"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// Fixed positions in a stored record (wire doc §8.1). The message package
// owns the encoding; the store only peeks at the few fields it needs on hot
// paths without allocating, and uses message.Decode whenever it needs more.
const (
	posTotalSize       = 0
	posMagic           = 4
	posQueueID         = 12
	posQueueOffset     = 20
	posCommitLogOffset = 28
	posSysFlag         = 36
	posBornHost        = 48
	hostV4             = 8
	hostV6             = 20

	// headerPeekSize is enough bytes to read every fixed field up to and
	// including STORETIMESTAMP with an IPv6 born host.
	headerPeekSize = posBornHost + hostV6 + 8

	// maxRecordSize bounds TOTALSIZE during scans: a 4 MiB body plus the
	// largest topic and properties, rounded up generously. A larger size is
	// treated as corruption.
	maxRecordSize = 64 << 20
)

var be = binary.BigEndian

func recSize(rec []byte) int32    { return int32(be.Uint32(rec[posTotalSize:])) }
func recMagic(rec []byte) int32   { return int32(be.Uint32(rec[posMagic:])) }
func recQueueID(rec []byte) int32 { return int32(be.Uint32(rec[posQueueID:])) }
func recQueueOffset(rec []byte) int64 {
	return int64(be.Uint64(rec[posQueueOffset:]))
}
func recPhysOffset(rec []byte) int64 { return int64(be.Uint64(rec[posCommitLogOffset:])) }

// recStoreTimestamp reads STORETIMESTAMP; rec must hold at least
// headerPeekSize bytes or the whole record.
func recStoreTimestamp(rec []byte) int64 {
	pos := posBornHost + hostV4
	if int32(be.Uint32(rec[posSysFlag:]))&message.FlagBornHostV6 != 0 {
		pos = posBornHost + hostV6
	}
	return int64(be.Uint64(rec[pos:]))
}

// recTopic returns the TOPIC bytes of a whole record, or nil if the record
// is structurally too short to hold them.
func recTopic(rec []byte) []byte {
	sys := int32(be.Uint32(rec[posSysFlag:]))
	pos := posBornHost + hostV4
	if sys&message.FlagBornHostV6 != 0 {
		pos = posBornHost + hostV6
	}
	pos += 8 // STORETIMESTAMP
	if sys&message.FlagStoreHostV6 != 0 {
		pos += hostV6
	} else {
		pos += hostV4
	}
	pos += 4 + 8 // RECONSUMETIMES, PREPAREDTRANSACTIONOFFSET
	if pos+4 > len(rec) {
		return nil
	}
	bodyLen := int(int32(be.Uint32(rec[pos:])))
	pos += 4
	if bodyLen < 0 || pos+bodyLen+1 > len(rec) {
		return nil
	}
	pos += bodyLen
	n := int(rec[pos])
	pos++
	if pos+n > len(rec) {
		return nil
	}
	return rec[pos : pos+n]
}

// checkEntry validates what Append relies on without decoding the record:
// one whole record of the right magic whose QUEUEID and TOPIC match e.
func checkEntry(e *Entry) bool {
	rec := e.Record
	if len(rec) < message.MinRecordSize || len(rec) > maxRecordSize || int(recSize(rec)) != len(rec) ||
		recMagic(rec) != message.MagicCode || recQueueID(rec) != e.QueueID {
		return false
	}
	t := recTopic(rec)
	return t != nil && string(t) == e.Topic && validTopic(e.Topic)
}

// validTopic rejects names that cannot be a consume-queue directory. The
// broker applies the RocketMQ naming rules before it gets here.
func validTopic(t string) bool {
	return t != "" && t != "." && t != ".." && len(t) <= message.MaxTopicSize &&
		!strings.ContainsAny(t, "/\x00")
}

// recordKeys returns the index keys of a record's properties: every
// space-separated key of KEYS plus UNIQ_KEY, as the broker passes them in
// Entry.Keys.
func recordKeys(props string) []string {
	var keys []string
	if v, ok := message.GetProperty(props, message.PropertyKeys); ok {
		keys = strings.Fields(v)
	}
	if v, ok := message.GetProperty(props, message.PropertyUniqKey); ok && v != "" {
		keys = append(keys, v)
	}
	return keys
}

// recordTagsCode is the consume-queue tags code recovery computes for a
// record: message.TagsHashCode of TAGS, 0 without tags.
func recordTagsCode(props string) int64 {
	if v, ok := message.GetProperty(props, message.PropertyTags); ok && v != "" {
		return message.TagsHashCode(v)
	}
	return 0
}
