/** The file in the data folder that says where the running bot listens: `npm run slack` finds it without PORT. */
export const SERVER_URL_FILE = 'server-url';
