package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Compute turns one task (a JSON object) into one result (any JSON value). An error becomes the
// task's error reply.
type Compute func(task map[string]interface{}) (interface{}, error)

var computes = map[string]Compute{
	"sha256":  sha256Compute,
	"collatz": collatzCompute,
}

// sha256Compute is the benchmark workload, the same algorithm as taskfarm's: SHA-256 applied
// "rounds" times starting from the UTF-8 bytes of "seed", each round hashing the previous
// 32-byte digest; the result is the lowercase hex of the final digest.
func sha256Compute(task map[string]interface{}) (interface{}, error) {
	seed, ok := task["seed"].(string)
	if !ok {
		return nil, fmt.Errorf("sha256 needs a text field 'seed'")
	}
	rounds := 1
	if r, present := task["rounds"]; present {
		n, isInt := wholeNumber(r)
		if !isInt || n < 1 {
			raw, _ := json.Marshal(r)
			return nil, fmt.Errorf("sha256 needs 'rounds' >= 1, got %s", raw)
		}
		rounds = n
	}
	digest := sha256.Sum256([]byte(seed))
	for i := 1; i < rounds; i++ {
		digest = sha256.Sum256(digest[:])
	}
	return hex.EncodeToString(digest[:]), nil
}

// collatzCompute counts the steps of the Collatz sequence from "n" down to 1.
func collatzCompute(task map[string]interface{}) (interface{}, error) {
	n, ok := wholeNumber(task["n"])
	if !ok || n < 1 {
		return nil, fmt.Errorf("collatz needs a whole number 'n' >= 1")
	}
	steps, peak := 0, n
	for v := n; v != 1; steps++ {
		if v%2 == 0 {
			v /= 2
		} else {
			v = 3*v + 1
		}
		if v > peak {
			peak = v
		}
	}
	return map[string]int{"steps": steps, "peak": peak}, nil
}

func wholeNumber(v interface{}) (int, bool) {
	f, ok := v.(float64)
	if !ok || f != float64(int(f)) {
		return 0, false
	}
	return int(f), true
}
