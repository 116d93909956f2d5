import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { renderNotification } from '../src/notification.js';
import { policy } from './support/builders.js';

const test = suite('notification');

test('fills every placeholder and escapes device-chosen values for HTML', () => {
  const p = policy({
    notification: {
      subject: 'Device {deviceType}',
      bodyHtml: '<p>{userDisplayName}: {deviceModel} {reason} <a href="{enrollUrl}">enroll</a></p>',
      enrollUrl: 'https://portal.example/enroll',
    },
  });
  const r = renderNotification(p, {
    userDisplayName: "Seán O'Brien",
    deviceType: 'iPhone\r\nBcc: x@evil',
    deviceModel: '<script>alert(1)</script>',
    reason: 'notEnrolled',
  });
  assert.is(r.subject, 'Device iPhone Bcc: x@evil');
  assert.is(
    r.html,
    '<p>Seán O&#39;Brien: &lt;script&gt;alert(1)&lt;/script&gt; the device is not enrolled in Intune <a href="https://portal.example/enroll">enroll</a></p>',
  );
});

// The renderer as first written (a regex replace per template, every value escaped by a replace):
// the compiled templates must give exactly the same text.
const REFERENCE_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function referenceRender(values: Record<string, string>, subject: string, body: string) {
  const fill = (t: string, esc: (s: string) => string) =>
    t.replace(/\{(userDisplayName|deviceType|deviceModel|reason|enrollUrl)\}/g, (_, k: string) => esc(values[k]!));
  return {
    subject: fill(subject, (s) => s.replace(/[\r\n]+/g, ' ')),
    html: fill(body, (s) => s.replace(/[&<>"']/g, (c) => REFERENCE_ESCAPES[c]!)),
  };
}

test('renders any template and any values exactly as a placeholder-by-placeholder replace would', () => {
  const piece = fc.oneof(
    fc.constantFrom(
      '{userDisplayName}',
      '{deviceType}',
      '{deviceModel}',
      '{reason}',
      '{enrollUrl}',
      '{',
      '}',
      '{other}',
      '$&',
      '$1',
      '\r\n',
    ),
    fc.string({ maxLength: 8 }),
    fc.string({ unit: 'binary', maxLength: 4 }),
  );
  const template = fc.array(piece, { maxLength: 12 }).map((xs) => xs.join(''));
  const value = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('<b>&amp;</b>', '"\'', 'a\r\nb', '$&', '{deviceType}', ''));
  fc.assert(
    fc.property(
      template,
      template,
      value,
      value,
      value,
      value,
      fc.constantFrom('notEnrolled', 'notCompliant', 'adminOverride', 'exchangeDeviceRule'),
      (subject, body, name, type, model, url, reason) => {
        const p = policy({ notification: { subject, bodyHtml: body, enrollUrl: url } });
        const got = renderNotification(p, { userDisplayName: name, deviceType: type, deviceModel: model, reason: reason });
        const texts: Record<string, string> = {
          notEnrolled: 'the device is not enrolled in Intune',
          notCompliant: "the device does not meet your organization's compliance policy",
          adminOverride: 'an administrator has blocked it for now',
        };
        const want = referenceRender(
          { userDisplayName: name, deviceType: type, deviceModel: model, reason: texts[reason] ?? reason, enrollUrl: url },
          subject,
          body,
        );
        assert.equal(got, want);
      },
    ),
    { numRuns: 500 },
  );
});

test.run();
