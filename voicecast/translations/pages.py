"""The English of the pages' common French words: the sign-in, the navigation, errors and the
API documentation page."""

from __future__ import annotations

EN: dict[str, str] = {
    "Connexion": "Log in",
    "Se connecter": "Log in",
    "Se déconnecter": "Log out",
    "Adresse e-mail": "Email address",
    "Mot de passe": "Password",
    "E-mail ou mot de passe incorrect.": "Wrong email or password.",
    "Réservé aux responsables et administrateurs.": "For managers and admins only.",
    "Vous êtes déconnecté.": "You are logged out.",
    "Vendeurs": "Sellers",
    "Contacts": "Contacts",
    "Clés d'API": "API keys",
    "Nom": "Name",
    "Téléphone": "Phone",
    "Actif": "Active",
    "oui": "yes",
    "non": "no",
    "Aucun vendeur pour l'instant.": "No sellers yet.",
    "Documentation de l'API": "API documentation",
    "Compte": "Account",
    "Tableau de bord": "Dashboard",
    "Erreur": "Error",
    "Retour à l'accueil": "Back to the home page",
    "Page introuvable.": "Page not found.",
    "Votre session a expiré, veuillez réessayer.": "Your session expired, please try again.",
    "Trop de tentatives de connexion. Réessayez dans {minutes} min.": (
        "Too many login attempts. Try again in {minutes} min."
    ),
    "Langue": "Language",
    "Voicecast : vos vendeurs laissent leur propre voix sur la messagerie de vos clients.": (
        "Voicecast: your sellers leave their own voice on your customers' voicemail."
    ),
    "Paramètres": "Parameters",
    "Corps de la requête": "Request body",
    "Réponses": "Responses",
    "Schémas": "Schemas",
    "Champ": "Field",
    "Type": "Type",
    "Obligatoire": "Required",
    "Description": "Description",
}
