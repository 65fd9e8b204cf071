package broker

// Answers that several request handlers build.

import (
	"encoding/json"
	"strconv"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// errorResponse is a response with code and remark.
func errorResponse(req *remoting.Command, code int16, remark string) *remoting.Command {
	return remoting.NewResponse(req, code, remark)
}

// jsonResponse is SUCCESS with v as the JSON body.
func jsonResponse(req *remoting.Command, v any) *remoting.Command {
	body, err := json.Marshal(v)
	if err != nil {
		return errorResponse(req, remoting.SystemError, err.Error())
	}
	resp := remoting.NewResponse(req, remoting.Success, "")
	resp.Body = body
	return resp
}

// offsetResponse is SUCCESS with the extField offset.
func offsetResponse(req *remoting.Command, off int64) *remoting.Command {
	resp := remoting.NewResponse(req, remoting.Success, "")
	resp.ExtFields = remoting.Fields{{Key: "offset", Value: strconv.FormatInt(off, 10)}}
	return resp
}
