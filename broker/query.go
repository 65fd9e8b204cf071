package broker

// Looking messages up by key (QUERY_MESSAGE, the console and the CLI).

// QueryMessages returns the stored records of the messages on topic whose
// KEYS or UNIQ_KEY include key, stored between beginMs and endMs (epoch ms),
// newest first, back to back in the stored-message encoding.
func (b *Broker) QueryMessages(topic, key string, maxNum int, beginMs, endMs int64) ([]byte, error) {
	offsets, err := b.store.QueryByKey(topic, key, maxNum, beginMs, endMs)
	if err != nil {
		return nil, err
	}
	var body []byte
	for _, off := range offsets {
		rec, err := b.store.ReadRecord(off)
		if err != nil {
			continue // pruned between lookup and read
		}
		body = append(body, rec...)
	}
	return body, nil
}
