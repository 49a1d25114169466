/* Covers the retry policy of src/storage/s3/s3-client.c: which answers are
 * retried, the bounds of the backoff with jitter, and how a delay is
 * written in the retry's warning. */
#include "config.h"

#include "storage/s3/s3-client.h"
#include "tap.h"

int
main(void)
{
	long max1 = 0, max3 = 0, max20 = 0, min1 = 1000000, min3 = 1000000, min20 = 1000000, d;
	char text[32];
	int i;

	ok(s3_retryable_status(500, "InternalError"), "500 InternalError is retried");
	ok(s3_retryable_status(503, "SlowDown"), "503 SlowDown is retried");
	ok(s3_retryable_status(502, NULL), "502 without a body is retried");
	ok(s3_retryable_status(429, NULL), "429 is retried");
	ok(s3_retryable_status(200, "InternalError"), "an <Error> inside a 200 is retried");
	ok(!s3_retryable_status(400, "RequestTimeout"), "400 is never retried");
	ok(!s3_retryable_status(400, "SlowDown"), "400 is never retried, whatever its code");
	ok(!s3_retryable_status(403, "SignatureDoesNotMatch"), "403 is never retried");
	ok(!s3_retryable_status(404, "NoSuchKey"), "404 is never retried");
	ok(!s3_retryable_status(409, "OperationAborted"), "other 4xx are not retried");

	for (i = 0; i < 2000; i++) {
		d = s3_backoff_ms(1);
		if (d > max1) max1 = d;
		if (d < min1) min1 = d;
		d = s3_backoff_ms(3);
		if (d > max3) max3 = d;
		if (d < min3) min3 = d;
		d = s3_backoff_ms(20);
		if (d > max20) max20 = d;
		if (d < min20) min20 = d;
	}
	ok(min1 >= 100 && max1 <= 200, "first retry waits 100 to 200 ms (got %ld to %ld)", min1,
	    max1);
	ok(max1 - min1 > 50, "  spread over the range (jitter)");
	ok(min3 >= 400 && max3 <= 800 && max3 > 600,
	    "third retry waits 400 to 800 ms (got %ld to %ld)", min3, max3);
	ok(min20 >= 10000 && max20 <= 20000 && max20 > 15000,
	    "the wait is capped at 20 s (got %ld to %ld)", min20, max20);

	s3_delay_text(150, text, sizeof text);
	is_str(text, "150 ms", "a delay under a second is written in milliseconds");
	s3_delay_text(999, text, sizeof text);
	is_str(text, "999 ms", "  up to 999 ms");
	s3_delay_text(1000, text, sizeof text);
	is_str(text, "1.0 s", "a second or more in seconds");
	s3_delay_text(12345, text, sizeof text);
	is_str(text, "12.3 s", "  to a tenth");
	return tap_done();
}
