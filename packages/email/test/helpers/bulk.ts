// Generates a large mailbox quickly: raw messages written as maildir files before dovecot starts.
import { rawMessage } from './world.js';

export const BULK = { user: 'bulk@example.test', password: 'bulk-pw' };

/** `n` messages, one a minute apart; every 10th unread, every 100th with "invoice" in the subject, every 50th with an attachment. */
export function* bulkMessages(n: number) {
  const t0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < n; i++) {
    const subject = i % 100 === 0 ? `Invoice ${i}` : `Message ${i}`;
    const date = new Date(t0 + i * 60_000);
    if (i % 50 === 25) {
      const b = 'BOUNDARY-' + i;
      yield rawMessage({
        to: BULK.user,
        subject,
        date,
        messageId: `<bulk-${i}@example.test>`,
        contentType: `multipart/mixed; boundary="${b}"`,
        body: `--${b}\r\nContent-Type: text/plain\r\n\r\nBody of message ${i}\r\n--${b}\r\nContent-Type: text/csv; name="data-${i}.csv"\r\nContent-Disposition: attachment; filename="data-${i}.csv"\r\n\r\na,b\r\n1,2\r\n--${b}--\r\n`,
      });
    } else {
      yield rawMessage({ to: BULK.user, subject, date, messageId: `<bulk-${i}@example.test>`, body: `Body of message ${i}\r\nfrom the bulk generator.\r\n` });
    }
  }
}
