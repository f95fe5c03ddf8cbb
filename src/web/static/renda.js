// What the staff pages ask for with data- attributes. No inline script or event handler anywhere, so
// the Content-Security-Policy can forbid them.

// <form data-confirm="question">: ask before sending.
document.addEventListener('submit', (event) => {
  const form = event.target;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  // The office switcher goes to the chosen office's home page.
  if (form.hasAttribute('data-office-switcher') && form.elements.office.value) {
    event.preventDefault();
    window.location.href = `/t/${encodeURIComponent(form.elements.office.value)}/`;
  }
});

// <select data-autosubmit>: a choice sends its form.
document.addEventListener('change', (event) => {
  const field = event.target;
  if (field.matches('[data-autosubmit]') && field.form) field.form.requestSubmit();
});

// <… data-refresh-seconds="3">: the page loads itself again after that many seconds (a job's progress).
const refreshing = document.querySelector('[data-refresh-seconds]');
if (refreshing) {
  const seconds = Number(refreshing.dataset.refreshSeconds) || 3;
  window.setTimeout(() => window.location.reload(), seconds * 1000);
}
// <button data-mark-all="present"> in a sign-in list: every row still 未登记 gets that choice.
document.addEventListener('click', (event) => {
  const button = event.target.closest('[data-mark-all]');
  if (!button || !button.form) return;
  const value = button.dataset.markAll;
  const rows = new Set();
  for (const radio of button.form.querySelectorAll('input[type="radio"][name^="mark-"]')) {
    if (radio.checked && radio.value === '') rows.add(radio.name);
  }
  for (const radio of button.form.querySelectorAll('input[type="radio"][name^="mark-"]')) {
    if (rows.has(radio.name) && radio.value === value) radio.checked = true;
  }
});

// The phone's menu (phone.css): the header's 菜单 button shows and hides the navigation. Without this
// script the button stays hidden and the navigation stays on the page.
const menuButton = document.querySelector('[data-menu-toggle]');
const sidebar = document.querySelector('nav.sidebar');
if (menuButton && sidebar) {
  sidebar.id ||= 'sidebar';
  menuButton.setAttribute('aria-controls', sidebar.id);
  menuButton.hidden = false;
  document.documentElement.classList.add('has-menu');
  for (const link of sidebar.querySelectorAll('a')) {
    if (link.pathname === window.location.pathname) link.setAttribute('aria-current', 'page');
  }
  menuButton.addEventListener('click', () => {
    const open = sidebar.classList.toggle('open');
    menuButton.setAttribute('aria-expanded', String(open));
  });
  // Escape closes the open menu from its button or any of its links, and the focus goes back to the button.
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || !sidebar.classList.contains('open')) return;
    if (event.target !== menuButton && !sidebar.contains(event.target)) return;
    sidebar.classList.remove('open');
    menuButton.setAttribute('aria-expanded', 'false');
    menuButton.focus();
  });
}

// On a phone a table's rows are cards (phone.css), each value labelled by its column's header: copy the
// header's text into data-label on every cell that has none (colspan counted), so no template has to.
for (const table of document.querySelectorAll('main table')) {
  const headerRow = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
  if (!headerRow) continue;
  const names = [];
  for (const cell of headerRow.cells) {
    for (let i = 0; i < cell.colSpan; i += 1) names.push(cell.textContent.trim().replace(/\s+/g, ' '));
  }
  for (const body of table.tBodies) {
    for (const row of body.rows) {
      let column = 0;
      for (const cell of row.cells) {
        if (!cell.hasAttribute('data-label') && names[column] && cell.colSpan < names.length) {
          cell.dataset.label = names[column];
        }
        column += cell.colSpan;
      }
    }
  }
}
