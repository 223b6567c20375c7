// The Movie Watchlist app: one Alpine component, hash routes, and the API client. Written for
// Alpine's CSP build: templates only read properties and call methods (no inline expressions),
// so the page needs no 'unsafe-eval'.
import Alpine from '@alpinejs/csp';
import './style.css';
import { ApiError, loadSession, request, saveSession } from './api.js';

const EMPTY_FORM = { username: '', email: '', password: '', title: '', genre: '', year: '', director: '', description: '' };

function describe(error) {
  if (error instanceof ApiError) {
    if (error.status === 401) return `${error.message} Please log in again.`;
    return error.message.charAt(0).toUpperCase() + error.message.slice(1) + (error.message.endsWith('.') ? '' : '.');
  }
  return 'Something went wrong. Please try again.';
}

function decorateMovie(movie) {
  return {
    ...movie,
    href: `#/movies/${movie.id}`,
    subtitle: [movie.year, movie.genre, movie.director].filter(Boolean).join(' · '),
  };
}

function decorateEntry(entry) {
  const title = entry.movie ? entry.movie.title : `Movie ${entry.movie_id} (details unavailable)`;
  return {
    ...entry,
    title,
    href: `#/movies/${entry.movie_id}`,
    notesId: `notes-${entry.movie_id}`,
    watchedId: `watched-${entry.movie_id}`,
    ratingLabel: entry.rating ? `Rated ${entry.rating} of 5` : 'Not rated',
    stars: [1, 2, 3, 4, 5].map((value) => ({
      value,
      on: Boolean(entry.rating) && value <= entry.rating,
      label: `Rate ${value} of 5`,
      cls: Boolean(entry.rating) && value <= entry.rating ? 'text-amber-500' : 'text-slate-300',
    })),
  };
}

Alpine.data('watchlistApp', () => ({
  view: 'movies',
  session: null,
  message: '',
  notice: '',
  loading: false,
  search: '',
  movies: [],
  total: 0,
  movie: null,
  entries: [],
  form: { ...EMPTY_FORM },

  init() {
    this.session = loadSession();
    window.addEventListener('hashchange', () => this.route());
    this.route();
  },

  // What templates read.
  loggedIn() { return Boolean(this.session); },
  loggedOut() { return !this.session; },
  username() { return this.session ? this.session.username : ''; },
  hasMessage() { return this.message !== ''; },
  hasNotice() { return this.notice !== ''; },
  isLoading() { return this.loading; },
  onMovies() { return this.view === 'movies'; },
  onMovie() { return this.view === 'movie' && this.movie !== null; },
  onLogin() { return this.view === 'login'; },
  onRegister() { return this.view === 'register'; },
  onWatchlist() { return this.view === 'watchlist'; },
  onAddMovie() { return this.view === 'add-movie'; },
  noMovies() { return !this.loading && this.movies.length === 0; },
  noEntries() { return !this.loading && this.entries.length === 0; },
  resultSummary() { return this.total === 1 ? '1 movie' : `${this.total} movies`; },
  movieSubtitle() { return this.movie ? this.movie.subtitle : ''; },
  onList() { return this.movie !== null && this.entries.some((entry) => entry.movie_id === this.movie.id); },
  canAddToList() { return this.loggedIn() && !this.onList(); },
  needsLoginToAdd() { return this.loggedOut(); },

  setForm() {
    this.form[this.$el.dataset.field] = this.$el.value;
  },
  setSearch() {
    this.search = this.$el.value;
  },

  fail(error) {
    this.notice = '';
    this.message = describe(error);
    if (error instanceof ApiError && error.status === 401) this.logout();
  },
  succeed(text) {
    this.message = '';
    this.notice = text;
  },

  async route() {
    const hash = window.location.hash.replace(/^#\/?/, '');
    const [section, id] = hash.split('/');
    this.message = '';
    if (section === 'movies' && id) return this.openMovie(Number(id));
    if (section === 'login' || section === 'register') {
      this.view = section;
      return undefined;
    }
    if (section === 'watchlist') return this.openWatchlist();
    if (section === 'add-movie') {
      if (!this.session) return this.go('#/login');
      this.view = 'add-movie';
      return undefined;
    }
    this.view = 'movies';
    return this.loadMovies();
  },

  go(hash) {
    if (window.location.hash === hash) this.route();
    else window.location.hash = hash;
  },

  async loadMovies() {
    this.loading = true;
    try {
      const query = new URLSearchParams({ limit: '50' });
      if (this.search.trim()) query.set('search', this.search.trim());
      const page = await request('GET', `/movies?${query}`);
      this.movies = page.items.map(decorateMovie);
      this.total = page.total;
    } catch (error) {
      this.fail(error);
    } finally {
      this.loading = false;
    }
  },

  async submitSearch() {
    this.notice = '';
    await this.loadMovies();
  },

  async openMovie(id) {
    this.view = 'movie';
    this.movie = null;
    this.loading = true;
    try {
      this.movie = decorateMovie(await request('GET', `/movies/${id}`));
      if (this.session) await this.fetchEntries();
    } catch (error) {
      this.view = 'movies';
      this.fail(error);
    } finally {
      this.loading = false;
    }
  },

  async register() {
    this.loading = true;
    try {
      await request('POST', '/users', { body: { username: this.form.username, email: this.form.email, password: this.form.password } });
      await this.login();
    } catch (error) {
      this.fail(error);
    } finally {
      this.loading = false;
    }
  },

  async login() {
    this.loading = true;
    try {
      const answer = await request('POST', '/users/login', { body: { username: this.form.username, password: this.form.password } });
      this.session = { token: answer.token, userId: answer.user_id, username: this.form.username, expiresAt: Date.now() + answer.expires_in * 1000 };
      saveSession(this.session);
      this.form = { ...EMPTY_FORM };
      this.succeed(`Welcome, ${this.session.username}.`);
      this.go('#/watchlist');
    } catch (error) {
      this.fail(error);
    } finally {
      this.loading = false;
    }
  },

  logout() {
    this.session = null;
    this.entries = [];
    saveSession(null);
  },

  logoutAndLeave() {
    this.logout();
    this.succeed('You are logged out.');
    this.go('#/movies');
  },

  async addMovie() {
    this.loading = true;
    try {
      const body = { title: this.form.title, genre: this.form.genre, director: this.form.director, description: this.form.description };
      if (String(this.form.year).trim() !== '') body.year = Number(this.form.year);
      const movie = await request('POST', '/movies', { body, token: this.session && this.session.token });
      this.form = { ...EMPTY_FORM };
      this.succeed(`Added “${movie.title}”.`);
      this.go(`#/movies/${movie.id}`);
    } catch (error) {
      this.fail(error);
    } finally {
      this.loading = false;
    }
  },

  async fetchEntries() {
    const page = await request('GET', `/watchlist/${this.session.userId}?limit=100`, { token: this.session.token });
    this.entries = page.items.map(decorateEntry);
  },

  async openWatchlist() {
    if (!this.session) return this.go('#/login');
    this.view = 'watchlist';
    this.loading = true;
    try {
      await this.fetchEntries();
    } catch (error) {
      this.fail(error);
    } finally {
      this.loading = false;
    }
    return undefined;
  },

  async addToWatchlist() {
    try {
      await request('POST', `/watchlist/${this.session.userId}`, { body: { movie_id: this.movie.id }, token: this.session.token });
      await this.fetchEntries();
      this.succeed(`“${this.movie.title}” is on your watchlist.`);
    } catch (error) {
      this.fail(error);
    }
  },

  async changeEntry(movieId, changes, text) {
    try {
      await request('PATCH', `/watchlist/${this.session.userId}/${movieId}`, { body: changes, token: this.session.token });
      await this.fetchEntries();
      this.succeed(text);
    } catch (error) {
      this.fail(error);
    }
  },

  toggleWatched() {
    const movieId = Number(this.$el.dataset.movie);
    return this.changeEntry(movieId, { watched: this.$el.checked }, this.$el.checked ? 'Marked as watched.' : 'Marked as not watched.');
  },

  rate() {
    const movieId = Number(this.$el.dataset.movie);
    const rating = Number(this.$el.dataset.rating);
    return this.changeEntry(movieId, { rating }, `Rated ${rating} of 5.`);
  },

  saveNotes() {
    const movieId = Number(this.$el.dataset.movie);
    const notes = document.getElementById(this.$el.dataset.notes).value;
    return this.changeEntry(movieId, { notes }, 'Notes saved.');
  },

  async removeEntry() {
    const movieId = Number(this.$el.dataset.movie);
    try {
      await request('DELETE', `/watchlist/${this.session.userId}/${movieId}`, { token: this.session.token });
      await this.fetchEntries();
      this.succeed('Removed from your watchlist.');
    } catch (error) {
      this.fail(error);
    }
  },
}));

window.Alpine = Alpine;
Alpine.start();
