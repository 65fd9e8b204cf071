package message

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"net/netip"
	"slices"
)

// Ext is one stored message, Java's MessageExt (wire doc §8.1). It is the
// decoded form of a record; see the package documentation for the layout.
type Ext struct {
	// BodyCRC is the CRC32 (IEEE) of Body. AppendEncode computes it.
	BodyCRC uint32
	// QueueID is the queue the message is stored in.
	QueueID int32
	// Flag is the user flag from the producer.
	Flag int32
	// QueueOffset is the message's logical offset in its queue.
	QueueOffset int64
	// CommitLogOffset is unique and stable per stored message; it is part of
	// the offset message id.
	CommitLogOffset int64
	// SysFlag holds the Flag* bits. AppendEncode derives FlagBornHostV6 and
	// FlagStoreHostV6 from the hosts; every other bit is kept as is.
	SysFlag int32
	// BornTimestamp is the producer's send time in Unix milliseconds.
	BornTimestamp int64
	// BornHost is the producer's address. An invalid (zero) AddrPort encodes
	// as 0.0.0.0:0; an IPv4-mapped IPv6 address encodes as IPv4.
	BornHost netip.AddrPort
	// StoreTimestamp is the broker's store time in Unix milliseconds.
	StoreTimestamp int64
	// StoreHost is the broker's address, encoded like BornHost.
	StoreHost netip.AddrPort
	// ReconsumeTimes counts redeliveries through the retry topic.
	ReconsumeTimes int32
	// PreparedTransactionOffset is the commit-log offset of the half message
	// of a committed transactional message, else 0.
	PreparedTransactionOffset int64
	// Body is the message body, zlib-compressed if SysFlag&FlagCompressed.
	// After Decode it aliases the decoded buffer.
	Body []byte
	// Topic is at most MaxTopicSize bytes.
	Topic string
	// Properties is the raw property string (§8.4), at most
	// MaxPropertiesSize bytes. Use GetProperty and SetProperty on it.
	Properties string
}

// Byte positions of the fixed-position fields of a stored record.
const (
	posTotalSize       = 0
	posMagic           = 4
	posBodyCRC         = 8
	posQueueID         = 12
	posFlag            = 16
	posQueueOffset     = 20
	posCommitLogOffset = 28
	posSysFlag         = 36
	posBornTimestamp   = 40
	posBornHost        = 48
)

// recordOverhead is the size of a record without its two hosts, body, topic
// and properties.
const recordOverhead = MinRecordSize - 2*hostSizeV4

const (
	hostSizeV4 = 4 + 4
	hostSizeV6 = 16 + 4
)

// EncodedSize returns the number of bytes AppendEncode appends for m.
func (m *Ext) EncodedSize() int {
	return recordOverhead + hostSize(m.BornHost) + hostSize(m.StoreHost) +
		len(m.Body) + len(m.Topic) + len(m.Properties)
}

// Validate reports whether AppendEncode can encode m: the topic must fit an
// unsigned byte, the properties an int16 and the whole record an int32. It
// does not apply the broker's policy limits (see ValidateTopic and
// DefaultMaxBodySize).
func (m *Ext) Validate() error {
	if len(m.Topic) > MaxTopicSize {
		return fmt.Errorf("validate message: topic is %d bytes, limit %d: %w", len(m.Topic), MaxTopicSize, ErrInvalidName)
	}
	if len(m.Properties) > MaxPropertiesSize {
		return fmt.Errorf("validate message: properties are %d bytes, limit %d: %w", len(m.Properties), MaxPropertiesSize, ErrInvalidProperty)
	}
	if n := m.EncodedSize(); n > math.MaxInt32 {
		return fmt.Errorf("validate message: record would be %d bytes: %w", n, ErrMalformed)
	}
	return nil
}

// AppendEncode appends m in the stored-message encoding (§8.1, magic v1) to
// dst and returns the extended slice. It computes BodyCRC (CRC32 IEEE of
// Body, as Java) and sets or clears FlagBornHostV6 and FlagStoreHostV6 from
// the host address families; m itself is not modified.
//
// AppendEncode panics if m.Validate fails: a record that cannot be encoded
// faithfully is never written. Validate client input before encoding.
func AppendEncode(dst []byte, m *Ext) []byte {
	if err := m.Validate(); err != nil {
		panic(err)
	}
	size := m.EncodedSize()
	dst = slices.Grow(dst, size)

	bornIP, bornV6 := hostAddr(m.BornHost)
	storeIP, storeV6 := hostAddr(m.StoreHost)
	sysFlag := m.SysFlag &^ (FlagBornHostV6 | FlagStoreHostV6)
	if bornV6 {
		sysFlag |= FlagBornHostV6
	}
	if storeV6 {
		sysFlag |= FlagStoreHostV6
	}

	be := binary.BigEndian
	dst = be.AppendUint32(dst, uint32(size))
	dst = be.AppendUint32(dst, magicV1)
	dst = be.AppendUint32(dst, crc32.ChecksumIEEE(m.Body))
	dst = be.AppendUint32(dst, uint32(m.QueueID))
	dst = be.AppendUint32(dst, uint32(m.Flag))
	dst = be.AppendUint64(dst, uint64(m.QueueOffset))
	dst = be.AppendUint64(dst, uint64(m.CommitLogOffset))
	dst = be.AppendUint32(dst, uint32(sysFlag))
	dst = be.AppendUint64(dst, uint64(m.BornTimestamp))
	dst = appendHost(dst, bornIP, bornV6, m.BornHost.Port())
	dst = be.AppendUint64(dst, uint64(m.StoreTimestamp))
	dst = appendHost(dst, storeIP, storeV6, m.StoreHost.Port())
	dst = be.AppendUint32(dst, uint32(m.ReconsumeTimes))
	dst = be.AppendUint64(dst, uint64(m.PreparedTransactionOffset))
	dst = be.AppendUint32(dst, uint32(len(m.Body)))
	dst = append(dst, m.Body...)
	dst = append(dst, byte(len(m.Topic)))
	dst = append(dst, m.Topic...)
	dst = be.AppendUint16(dst, uint16(len(m.Properties)))
	dst = append(dst, m.Properties...)
	return dst
}

// PatchOffsets overwrites QUEUEOFFSET, PHYSICALOFFSET and STORETIMESTAMP of
// the encoded record at the start of rec, so a store can encode outside its
// lock and assign offsets inside it. STORETIMESTAMP follows BORNHOST, so its
// position depends on the record's FlagBornHostV6 bit. The offset message id
// of the record changes with commitLogOffset; BODYCRC does not.
//
// rec must start with a record produced by AppendEncode; PatchOffsets panics
// if rec is too short to hold the patched fields.
func PatchOffsets(rec []byte, queueOffset, commitLogOffset, storeTimestamp int64) {
	be := binary.BigEndian
	pos := storeTimestampPos(int32(be.Uint32(rec[posSysFlag:])))
	be.PutUint64(rec[posQueueOffset:], uint64(queueOffset))
	be.PutUint64(rec[posCommitLogOffset:], uint64(commitLogOffset))
	be.PutUint64(rec[pos:pos+8], uint64(storeTimestamp))
}

// storeTimestampPos returns the position of STORETIMESTAMP in a record with
// the given sysFlag.
func storeTimestampPos(sysFlag int32) int {
	if sysFlag&FlagBornHostV6 != 0 {
		return posBornHost + hostSizeV6
	}
	return posBornHost + hostSizeV4
}

// OffsetMsgID returns the offset message id of m (§8.3), built from
// StoreHost and CommitLogOffset.
func (m *Ext) OffsetMsgID() string { return OffsetMsgID(m.StoreHost, m.CommitLogOffset) }

// MsgID returns the id a consumer sees as MsgId: the UNIQ_KEY property if
// present, else the offset message id.
func (m *Ext) MsgID() string {
	if v, ok := GetProperty(m.Properties, PropertyUniqKey); ok && v != "" {
		return v
	}
	return m.OffsetMsgID()
}

// Tags returns the TAGS property, or "" if absent.
func (m *Ext) Tags() string {
	v, _ := GetProperty(m.Properties, PropertyTags)
	return v
}

// hostAddr returns the address to encode for ap and whether it takes the
// 16-byte IPv6 form. Invalid addresses become 0.0.0.0 and IPv4-mapped IPv6
// addresses become IPv4.
func hostAddr(ap netip.AddrPort) (netip.Addr, bool) {
	a := ap.Addr()
	if !a.IsValid() {
		return netip.IPv4Unspecified(), false
	}
	a = a.Unmap()
	return a, !a.Is4()
}

func hostSize(ap netip.AddrPort) int {
	if _, v6 := hostAddr(ap); v6 {
		return hostSizeV6
	}
	return hostSizeV4
}

func appendHost(dst []byte, a netip.Addr, v6 bool, port uint16) []byte {
	if v6 {
		b := a.As16()
		dst = append(dst, b[:]...)
	} else {
		b := a.As4()
		dst = append(dst, b[:]...)
	}
	return binary.BigEndian.AppendUint32(dst, uint32(port))
}

// RecordCommitLogOffset returns the COMMITLOGOFFSET field of the stored
// record at the start of rec, or false when rec is too short to hold it.
func RecordCommitLogOffset(rec []byte) (int64, bool) {
	if len(rec) < posCommitLogOffset+8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(rec[posCommitLogOffset:])), true
}
