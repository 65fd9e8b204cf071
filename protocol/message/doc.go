// Package message holds the RocketMQ message encodings the broker speaks:
// the stored-message record ("MessageExt") returned in PULL_MESSAGE bodies
// and kept in the commit log, the SEND_BATCH_MESSAGE body, the property
// string, offset message ids, tags codes and topic/group name rules. The
// encodings are byte-compatible with Apache RocketMQ (layout v1) and are
// tested against the decoder of github.com/apache/rocketmq-client-go/v2.
// The package depends only on the standard library.
//
// # Stored record
//
// All integers are big-endian. A record is (sizes in bytes):
//
//	pos  field                      size   notes
//	  0  TOTALSIZE                  4      int32, whole record
//	  4  MAGICCODE                  4      MagicCode 0xDAA320A7 (layout v1; v2 below)
//	  8  BODYCRC                    4      CRC32 IEEE of BODY
//	 12  QUEUEID                    4      int32
//	 16  FLAG                       4      int32 user flag
//	 20  QUEUEOFFSET                8      int64 logical offset in the queue
//	 28  PHYSICALOFFSET             8      int64 commit-log offset
//	 36  SYSFLAG                    4      int32, Flag* bits
//	 40  BORNTIMESTAMP              8      int64 ms
//	 48  BORNHOST                   8|20   IPv4 + int32 port, or IPv6 + port if FlagBornHostV6
//	  .  STORETIMESTAMP             8      int64 ms (at 56, or 68 with an IPv6 born host)
//	  .  STOREHOST                  8|20   as BORNHOST, IPv6 if FlagStoreHostV6
//	  .  RECONSUMETIMES             4      int32
//	  .  PREPAREDTRANSACTIONOFFSET  8      int64
//	  .  BODYLENGTH, BODY           4+n    int32 + bytes (zlib if FlagCompressed)
//	  .  TOPICLENGTH, TOPIC         1+n    unsigned byte + bytes (<= 255); v2: int16 + bytes
//	  .  PROPERTIESLENGTH, PROPS    2+n    int16 + bytes (<= 32767)
//
// The fixed overhead is MinRecordSize (91) bytes with IPv4 hosts and 115
// with two IPv6 hosts. AppendEncode writes records, computing BODYCRC and the
// host-family bits; PatchOffsets assigns QUEUEOFFSET, PHYSICALOFFSET and
// STORETIMESTAMP after encoding, so a store can encode outside its lock.
// Decode, DecodeAll and PeekHeader validate every length against TOTALSIZE
// and return errors wrapping ErrMalformed instead of panicking.
//
// Layout v2 (MagicCodeV2) differs only in TOPICLENGTH: two bytes. A Java 5
// broker writes it for topics over 127 bytes (retry and dead-letter topics
// of long group names), because Java reads the v1 length as a signed byte.
// Decode reads both. AppendEncode writes v1 only, whose unsigned length
// covers the 255-byte limit: the official Go client ignores MAGICCODE and
// reads one length byte, so it cannot decode v2; a Java client cannot
// decode a v1 record of a topic over 127 bytes, so AppendLayoutV2 rewrites
// such records for Java readers.
//
// The client's decoder ignores TOTALSIZE, MAGICCODE and BODYCRC and steps
// by the sizes it computes, so those sizes must be exact; it also has no
// bounds checks, so a broker must never send a record this package would
// reject.
//
// # Batch body
//
// A SEND_BATCH_MESSAGE body is back-to-back inner records, as written by the
// client's Message.Marshal:
//
//	TOTALSIZE 4 | MAGICCODE 4 (0) | BODYCRC 4 (0) | FLAG 4 |
//	BODYLENGTH 4 | BODY n | PROPERTIESLENGTH 2 | PROPERTIES m
//
// with TOTALSIZE = 20 + n + 2 + m. DecodeBatch checks exactly that;
// AppendBatchItem writes it.
//
// # Properties
//
// A property string is key 0x01 value 0x02 for every pair, with a trailing
// 0x02. Parsing follows the Go client: split on 0x02, then on 0x01, and keep
// items with exactly one 0x01 (a later duplicate wins). GetProperty scans
// without allocating; SetProperty and DeleteProperties edit the string and
// keep every other item byte for byte; FormatProperties sorts keys.
//
// # Message ids
//
// The offset message id is uppercase hex of store IP, port (int32) and
// commit-log offset (int64): 32 characters for IPv4, 56 for IPv6. The
// client parses it during transactional sends, so it must be well formed.
// The unique id (property UNIQ_KEY) is opaque to the broker.
//
// # Names
//
// Topics and groups use [%|a-zA-Z0-9_-]. Topics are 1..127 bytes, retry
// ("%RETRY%"+group) and dead-letter ("%DLQ%"+group) topics up to 255;
// groups are 1..255 bytes.
package message
