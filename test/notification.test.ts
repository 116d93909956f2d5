import { suite } from 'uvu';
import * as assert from 'uvu/assert';
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

test.run();
