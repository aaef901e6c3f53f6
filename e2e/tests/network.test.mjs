// The professional network in a browser: two members choose handles, find
// each other, connect with a note, post to connections, react with each of
// the five kinds, comment with a mention that reaches the author live,
// message each other, and a report is moderated; a third member sees none
// of the connections-only content. axe runs on every page on the way.

import assert from 'node:assert/strict';
import { lyceumSuite } from '../lib/harness.mjs';
import { chooseHandle, expectHeading, expectPath, expectStatus, mainNav, normalise, person, setUpOperator, signUp } from '../lib/flows.mjs';

const lyceumTest = lyceumSuite();
const operator = person('olga', 'Olga Operator');
const ada = person('ada', 'Ada Network');
const bob = person('bob', 'Bob Network');
const cyd = person('cyd', 'Cyd Stranger');

lyceumTest('two members connect, post, react, comment, get notified live, message, and a report is moderated', async ({ newVisitor }) => {
  const op = await newVisitor();
  await setUpOperator(op, operator);
  const a = await newVisitor();
  await signUp(a, ada);
  await chooseHandle(a, 'ada');
  const b = await newVisitor();
  await signUp(b, bob);
  await chooseHandle(b, 'bob');

  // Ada finds Bob by his handle and asks to connect with a note.
  await a.goto('/network');
  await expectHeading(a.page, 'Your network');
  await a.page.getByLabel('Handle', { exact: true }).fill('bob');
  await expectStatus(await a.follow(() => a.page.getByRole('button', { name: 'Find', exact: true }).click()), 200);
  await expectStatus(await a.follow(() => a.page.locator('main').getByRole('link', { name: 'Bob Network', exact: true }).click()), 200);
  await expectPath(a.page, '/people/bob');
  // Others see only the name until Bob opens his sections.
  assert.equal(await a.page.getByText('bob at the library').count(), 0, 'the headline starts private');
  await a.page.getByLabel('A note with your request (optional)').fill('We met at the reading group.');
  await expectStatus(await a.follow(() => a.page.getByRole('button', { name: 'Ask to connect', exact: true }).click()), 200);
  assert.equal(normalise(await a.page.getByRole('status').textContent()), 'Your request is sent.');

  // Bob sees the request with its note and accepts.
  await b.goto('/network');
  const main = b.page.locator('main');
  assert.ok(normalise(await main.textContent()).includes('We met at the reading group.'));
  await expectStatus(await b.follow(() => main.getByRole('button', { name: 'Accept Ada Network', exact: true }).click()), 200);
  assert.equal(normalise(await b.page.getByRole('status').textContent()), 'You are connected.');

  // Ada posts to her connections.
  await a.goto('/feed');
  await expectHeading(a.page, 'Your feed');
  await a.page.getByLabel('What would you like to share?').fill('Reading group on Thursday #books');
  await a.page.getByLabel('Who may see it').selectOption('connections');
  // With two pictures drawn in the browser, each described for screen readers.
  const draw = (colour) => a.page.evaluate((colour) => {
    const c = document.createElement('canvas');
    c.width = 900;
    c.height = 600;
    const g = c.getContext('2d');
    g.fillStyle = '#2a5d8f';
    g.fillRect(0, 0, 900, 600);
    g.fillStyle = colour;
    g.fillRect(100, 100, 300, 200);
    return c.toDataURL('image/jpeg', 0.9).split(',')[1];
  }, colour);
  const photo = await draw('#f2c14e');
  await a.page.getByLabel('Picture 1', { exact: true }).setInputFiles({ name: 'room.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(photo, 'base64') });
  await a.page.getByLabel('Describe picture 1 for people who cannot see it').fill('A yellow table in a blue reading room');
  // The second is behind "Add more pictures", a disclosure.
  await a.page.getByText('Add more pictures', { exact: true }).click();
  await a.page.getByLabel('Picture 2', { exact: true }).setInputFiles({ name: 'shelf.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(await draw('#c0392b'), 'base64') });
  await a.page.getByLabel('Describe picture 2 for people who cannot see it').fill('A red shelf in a blue reading room');
  await expectStatus(await a.follow(() => a.page.getByRole('button', { name: 'Post', exact: true }).click()), 200);
  const article = a.page.locator('article.post').first();
  const postId = (await article.getAttribute('id')).replace('item-', '');
  const second = article.getByRole('img', { name: 'A red shelf in a blue reading room', exact: true });
  await second.scrollIntoViewIfNeeded();
  await a.page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await second.elementHandle());
  const picture = article.getByRole('img', { name: 'A yellow table in a blue reading room', exact: true });
  await picture.scrollIntoViewIfNeeded();
  await a.page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await picture.elementHandle());
  assert.match(await picture.evaluate((el) => el.currentSrc), /\/media\/images\/[0-9a-f-]+\/(small|large)$/);
  assert.notEqual(await picture.getAttribute('src'), await second.getAttribute('src'), 'each picture has its own address');
  const pictureUrl = await picture.getAttribute('src');

  // Bob reacts with each kind in turn; the one he chose last is pressed.
  await b.goto('/feed');
  const mine = () => b.page.locator(`#item-${postId}`);
  assert.ok(normalise(await mine().textContent()).includes('Reading group on Thursday'));
  await expectStatus(await b.follow(() => mine().getByRole('button', { name: 'Like this post', exact: true }).click()), 200);
  assert.equal(await mine().getByRole('button', { name: 'Like this post', exact: true }).getAttribute('aria-pressed'), 'true');
  // The other four are behind "Other reactions", a disclosure.
  const openPicker = async () => {
    const picker = mine().locator('details.reaction-picker');
    if (!(await picker.evaluate((d) => d.open))) await picker.locator('summary').click();
  };
  for (const kind of ['Celebrate', 'Love', 'Insightful', 'Curious']) {
    await openPicker();
    const button = mine().getByRole('button', { name: kind, exact: true });
    await expectStatus(await b.follow(() => button.click()), 200);
    await openPicker();
    assert.equal(await mine().getByRole('button', { name: kind, exact: true }).getAttribute('aria-pressed'), 'true', `${kind} is Bob's reaction`);
    assert.ok(normalise(await mine().textContent()).includes(`${kind} 1`), `one ${kind}, exactly`);
  }

  // Ada keeps her feed open; Bob comments with a mention and her header counts it at once.
  await a.goto('/feed');
  await a.page.waitForFunction(() => window.EventSource !== undefined);
  await b.page.getByLabel('Comment on the post by Ada Network').fill('Count me in, @ada');
  await expectStatus(await b.follow(() => mine().getByRole('button', { name: 'Post comment', exact: true }).click()), 200);
  await a.page.waitForFunction(
    () => /new/.test(document.getElementById('nav-notifications-count')?.textContent || ''),
    null,
    { timeout: 10000 },
  );
  await expectStatus(await a.follow(() => mainNav(a.page).getByRole('link', { name: /^Notifications/ }).click()), 200);
  const notices = normalise(await a.page.locator('main').textContent());
  assert.ok(notices.includes('Bob Network commented on your post.'), notices);
  assert.ok(notices.includes('Bob Network mentioned you.'), notices);
  assert.ok(notices.includes('Bob Network reacted to your post.'), notices);

  // They message each other.
  await a.goto('/people/bob');
  await expectStatus(await a.follow(() => a.page.locator('main').getByRole('link', { name: 'Message', exact: true }).click()), 200);
  await a.page.getByLabel('Your message').fill('See you on Thursday.');
  await expectStatus(await a.follow(() => a.page.getByRole('button', { name: 'Send', exact: true }).click()), 200);
  await b.goto('/messages');
  assert.ok(normalise(await b.page.locator('main').textContent()).includes('1 unread'));
  await expectStatus(await b.follow(() => b.page.locator('main').getByRole('link', { name: 'Ada Network', exact: true }).click()), 200);
  assert.ok(normalise(await b.page.locator('main').textContent()).includes('See you on Thursday.'));

  // A third member sees nothing of the connections-only post, anywhere.
  const c = await newVisitor();
  await signUp(c, cyd);
  await expectStatus(await c.goto(`/posts/${postId}`), 404);
  await expectStatus(await c.goto(pictureUrl), 404);
  await c.goto('/feed');
  assert.ok(!normalise(await c.page.locator('main').textContent()).includes('Reading group'));
  await c.goto('/tags/books');
  assert.ok(!normalise(await c.page.locator('main').textContent()).includes('Reading group'));

  // Bob reports the post; the operator removes it with a reason Ada reads.
  await b.goto(`/posts/${postId}`);
  await expectStatus(await b.follow(() => b.page.getByRole('link', { name: 'Report this post', exact: true }).click()), 200);
  await b.page.getByLabel('Spam or unwanted promotion').check();
  await expectStatus(await b.follow(() => b.page.getByRole('button', { name: 'Send report', exact: true }).click()), 200);
  await op.goto('/moderation');
  await expectHeading(op.page, 'Moderation');
  assert.ok(!normalise(await op.page.locator('main').textContent()).includes('Bob Network'), 'reporters stay anonymous');
  await op.page.getByLabel('Explanation for the member').fill('Please keep adverts out of the feed.');
  await expectStatus(await op.follow(() => op.page.getByRole('button', { name: 'Decide', exact: true }).click()), 200);
  await expectStatus(await b.goto(`/posts/${postId}`), 404);
  await a.goto('/me/moderation');
  assert.ok(normalise(await a.page.locator('main').textContent()).includes('Please keep adverts out of the feed.'));
  await c.goto('/moderation/log');
  const log = normalise(await c.page.locator('main').textContent());
  assert.ok(log.includes('removed') && !log.includes('Ada') && !log.includes('Bob'), log);
});
