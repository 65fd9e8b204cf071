package remoting

import (
	"bufio"
	"bytes"
	"io"
	"testing"
)

// loopReader serves the same bytes forever.
type loopReader struct {
	data []byte
	off  int
}

func (r *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.data[r.off:])
		n += c
		r.off = (r.off + c) % len(r.data)
	}
	return n, nil
}

func BenchmarkReadCommand(b *testing.B) {
	send := frameFromHeader(SerializeJSON, clientSendHeader, bytes.Repeat([]byte("m"), 1024))
	pull := frameFromHeader(SerializeJSON, `{"code":11,"language":"GO","version":317,"opaque":12,"flag":0,"remark":"",`+
		`"extFields":{"bname":"broker-a","commitOffset":"-1","consumerGroup":"CG1","expressionType":"TAG",`+
		`"maxMsgNums":"32","queueId":"0","queueOffset":"0","subVersion":"0","subscription":"*",`+
		`"suspendTimeoutMillis":"20000","sysFlag":"2","topic":"TopicA"}}`, nil)
	binarySend := frameFromHeader(SerializeRocketMQ,
		binaryHeader(SendMessage, 9, 317, 2, 0, "", clientSendFields), bytes.Repeat([]byte("m"), 1024))
	for _, bc := range []struct {
		name  string
		frame []byte
	}{
		{"SendMessage", send},
		{"PullMessage", pull},
		{"SendMessageBinary", binarySend},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := bufio.NewReaderSize(&loopReader{data: bc.frame}, 64<<10)
			b.SetBytes(int64(len(bc.frame)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ReadCommand(r, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendFrame(b *testing.B) {
	req := &Command{Opaque: 2}
	resp := NewResponse(req, Success, "")
	resp.ExtFields = Fields{
		{"msgId", "7F00000100004DA40000000000000000"}, {"queueId", "1"}, {"queueOffset", "12345"},
		{"transactionId", "C00002023C12000000007a1c7b980001"}, {"MSG_REGION", "DefaultRegion"}, {"TRACE_ON", "true"},
	}
	binResp := *resp
	binResp.SerializeType = SerializeRocketMQ
	pull := NewResponse(req, Success, "FOUND")
	pull.ExtFields = Fields{{"maxOffset", "2"}, {"minOffset", "0"}, {"nextBeginOffset", "2"}, {"suggestWhichBrokerId", "0"}}
	pull.Body = bytes.Repeat([]byte("m"), 32*1200)
	for _, bc := range []struct {
		name string
		cmd  *Command
	}{
		{"SendResponse", resp},
		{"SendResponseBinary", &binResp},
		{"PullResponse32Msgs", pull},
	} {
		b.Run(bc.name, func(b *testing.B) {
			buf := AppendFrame(nil, bc.cmd)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendFrame(buf[:0], bc.cmd)
			}
			io.Discard.Write(buf)
		})
	}
}

func BenchmarkFieldsGet(b *testing.B) {
	f := clientSendFields
	b.ReportAllocs()
	for b.Loop() {
		_ = f.Get("topic")
		_, _ = f.Int32("queueId")
		_ = f.Bool("batch")
	}
}

func BenchmarkDecodeFrameHeader(b *testing.B) {
	send := frameFromHeader(SerializeJSON, clientSendHeader, nil)[4:]
	b.SetBytes(int64(len(send)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeFrame(send); err != nil {
			b.Fatal(err)
		}
	}
}
