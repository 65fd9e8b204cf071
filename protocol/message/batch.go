package message

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// BatchItem is one inner message of a SEND_BATCH_MESSAGE body (§8.5). The
// topic, queue and sysFlag come from the request header.
type BatchItem struct {
	Flag int32
	// Body aliases the batch body after DecodeBatch. Batches are never
	// compressed.
	Body       []byte
	Properties string
}

// batchItemOverhead is TOTALSIZE, MAGICCODE, BODYCRC, FLAG, BODYLENGTH and
// PROPERTIESLENGTH.
const batchItemOverhead = 4 + 4 + 4 + 4 + 4 + 2

// DecodeBatch decodes the back-to-back inner records of a batch body. Items'
// Body fields alias body. MAGICCODE and BODYCRC are ignored, as by Java (the
// client writes 0 for both).
//
// Any inconsistency returns an error wrapping ErrMalformed: an empty body, a
// truncated item, a negative length, or a TOTALSIZE that does not equal
// 20 + BODYLENGTH + 2 + PROPERTIESLENGTH.
func DecodeBatch(body []byte) ([]BatchItem, error) {
	if len(body) == 0 {
		return nil, fmt.Errorf("decode batch: empty batch: %w", ErrMalformed)
	}
	be := binary.BigEndian
	var items []BatchItem
	for pos := 0; pos < len(body); {
		b := body[pos:]
		fail := func(format string, args ...any) ([]BatchItem, error) {
			return nil, fmt.Errorf("decode batch item %d at byte %d: %s: %w",
				len(items), pos, fmt.Sprintf(format, args...), ErrMalformed)
		}
		if len(b) < batchItemOverhead {
			return fail("%d bytes left, need at least %d", len(b), batchItemOverhead)
		}
		total := int64(int32(be.Uint32(b)))
		if total < batchItemOverhead || total > int64(len(b)) {
			return fail("TOTALSIZE %d outside %d..%d", total, batchItemOverhead, len(b))
		}
		b = b[:total]
		flag := int32(be.Uint32(b[12:]))
		bodyN := int64(int32(be.Uint32(b[16:])))
		if bodyN < 0 || 20+bodyN+2 > total {
			return fail("BODYLENGTH %d does not fit TOTALSIZE %d", bodyN, total)
		}
		p := 20 + int(bodyN)
		propN := int64(int16(be.Uint16(b[p:])))
		if propN < 0 {
			return fail("negative PROPERTIESLENGTH %d (properties over %d bytes)", propN, MaxPropertiesSize)
		}
		if sum := 20 + bodyN + 2 + propN; sum != total {
			return fail("TOTALSIZE %d does not match the sum of the parts %d", total, sum)
		}
		items = append(items, BatchItem{
			Flag:       flag,
			Body:       b[20:p:p],
			Properties: string(b[p+2:]),
		})
		pos += int(total)
	}
	return items, nil
}

// AppendBatchItem appends it in the batch encoding (§8.5) exactly as the Go
// client's Message.Marshal does (MAGICCODE and BODYCRC 0). It panics if the
// properties exceed MaxPropertiesSize.
func AppendBatchItem(dst []byte, it BatchItem) []byte {
	if len(it.Properties) > MaxPropertiesSize {
		panic(fmt.Errorf("append batch item: properties are %d bytes, limit %d: %w", len(it.Properties), MaxPropertiesSize, ErrInvalidProperty))
	}
	size := batchItemOverhead + len(it.Body) + len(it.Properties)
	dst = slices.Grow(dst, size)
	be := binary.BigEndian
	dst = be.AppendUint32(dst, uint32(size))
	dst = be.AppendUint32(dst, 0)
	dst = be.AppendUint32(dst, 0)
	dst = be.AppendUint32(dst, uint32(it.Flag))
	dst = be.AppendUint32(dst, uint32(len(it.Body)))
	dst = append(dst, it.Body...)
	dst = be.AppendUint16(dst, uint16(len(it.Properties)))
	return append(dst, it.Properties...)
}
