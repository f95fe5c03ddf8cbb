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
