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

// A refused form: the summary of its problems takes the focus, so the keyboard and the screen reader
// start there; each of its links leads to a field.
const errorSummary = document.querySelector('#error-summary');
if (errorSummary) {
  errorSummary.focus();
  errorSummary.addEventListener('click', (event) => {
    const link = event.target.closest('a[href^="#"]');
    const field = link && document.getElementById(link.getAttribute('href').slice(1));
    if (!field) return;
    event.preventDefault();
    field.scrollIntoView({ block: 'center' });
    field.focus();
  });
}

// Pickers. <select data-lookup="/t/…/lookup/deputies">: a search box before the list asks that address
// as one types and offers what it finds (the list as the page sent it when the box is emptied).
// <input list="…" data-lookup="…">: the same answers fill its datalist. Without this script the select
// lists every choice and the input still offers its datalist.
function lookup(url, text) {
  const address = `${url}?q=${encodeURIComponent(text)}`;
  return fetch(address, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
    .then((response) => (response.ok ? response.json() : { items: [] }))
    .then((body) => body.items || [])
    .catch(() => []);
}

function debounce(run, ms) {
  let timer;
  return (...args) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => run(...args), ms);
  };
}

let pickers = 0;
for (const select of document.querySelectorAll('select[data-lookup]')) {
  const original = Array.from(select.options, (option) => option.cloneNode(true));
  const search = document.createElement('input');
  search.type = 'search';
  search.className = 'picker-search';
  search.placeholder = select.dataset.lookupPlaceholder || '输入名称查找';
  search.setAttribute('aria-label', select.dataset.lookupPlaceholder || '查找');
  search.autocomplete = 'off';
  // A label wrapping both would name the first of them, the search box: it keeps naming the list.
  const label = select.closest('label');
  if (label && !label.htmlFor) {
    select.id ||= `picker-${select.name}-${pickers += 1}`;
    label.htmlFor = select.id;
  }
  select.before(search);
  const show = (options) => {
    const kept = Array.from(select.selectedOptions, (option) => option.value);
    select.replaceChildren(...options);
    for (const option of select.options) option.selected = kept.includes(option.value);
  };
  search.addEventListener('input', debounce(() => {
    const text = search.value.trim();
    if (!text) {
      show(original.map((option) => option.cloneNode(true)));
      return;
    }
    lookup(select.dataset.lookup, text).then((items) => {
      if (search.value.trim() !== text) return; // a newer search is under way
      const chosen = Array.from(select.selectedOptions, (option) => option.cloneNode(true)).filter((option) => option.value !== '');
      const blank = original.filter((option) => option.value === '').map((option) => option.cloneNode(true));
      const found = items
        .filter((item) => !chosen.some((option) => option.value === item.value))
        .map((item) => new Option(item.label, item.value));
      if (!found.length && !chosen.length) {
        const none = new Option('没有找到,请换个写法', '');
        none.disabled = true;
        found.push(none);
      }
      show([...blank, ...chosen, ...found]);
    });
  }, 250));
}

for (const input of document.querySelectorAll('input[list][data-lookup]')) {
  const list = document.getElementById(input.getAttribute('list'));
  if (!list) continue;
  input.addEventListener('input', debounce(() => {
    const text = input.value.trim();
    if (!text) return;
    lookup(input.dataset.lookup, text).then((items) => {
      if (items.length) list.replaceChildren(...items.map((item) => new Option(item.label, item.value)));
    });
  }, 250));
}
